# syntax=docker/dockerfile:1
# The released images are built without Docker by `npm run image` (scripts/image, docs/kubernetes.md);
# this file stays for a local `docker build`.
# Glider application image: every app is in it (the operator runs each component from the same
# image with its own command); APP only picks what a plain `docker run` starts.
#   docker build -f docker/app.Dockerfile --build-arg APP=edge -t glider:dev .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY libs ./libs
COPY apps ./apps
RUN npx tsc -p tsconfig.build.json --incremental false && rm -rf dist/test dist/bench \
 && find dist -name '*.spec.js*' -delete \
 && npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG APP=standalone
ENV NODE_ENV=production GLIDER_APP=${APP}
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/proto ./proto
COPY --from=build /src/dist ./dist
# Non-root, numeric (runAsNonRoot can check it); the root file system can be read-only.
USER 10001:10001
EXPOSE 5222 5223 5280 5443 9090
CMD ["sh", "-c", "exec node dist/apps/${GLIDER_APP}/src/main.js"]
