# syntax=docker/dockerfile:1
# The released images are built without Docker by `npm run image` (scripts/image, docs/kubernetes.md);
# this file stays for a local `docker build`.
# Glider operator image.  docker build -f docker/operator.Dockerfile -t glider-operator:dev .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY libs ./libs
COPY operator ./operator
# Only what the operator imports is compiled: its own tree and the libs it uses (config, bus).
RUN npx tsc -p tsconfig.build.json --incremental false \
 && rm -rf dist/operator/src/testing dist/apps dist/test dist/bench \
 && find dist -name '*.spec.js*' -delete \
 && npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/proto ./proto
COPY --from=build /src/dist ./dist
USER 10001:10001
ENTRYPOINT ["node", "--enable-source-maps", "dist/operator/src/main.js"]
