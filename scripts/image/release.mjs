// The release steps the tag workflow (.github/workflows/release.yml) runs after `npm run image`, and
// that CI runs against a registry on loopback (release.test.mjs), so the workflow's path is tested:
//   check TAG                       TAG is v<version> and package.json, Chart.yaml version and appVersion agree
//   push [--registry HOST/PATH]     crane push every archive of dist/images/images.json to its name (or
//                                   the same name under HOST/PATH), and check the registry has the digest built
//   chart --registry oci://HOST/PATH [--plain-http]
//                                   helm package charts/glider and helm push it
// Prints one line per artefact: NAME@DIGEST (images) or oci://...:VERSION (the chart).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crane, root } from './tools.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { registry: { type: 'string' }, 'plain-http': { type: 'boolean', default: false } },
});
const [command, arg] = positionals;
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts }).trim();
const fail = (why) => {
  console.error(`release: ${why}`);
  process.exit(1);
};
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const chartField = (f) => readFileSync(join(root, 'charts/glider/Chart.yaml'), 'utf8').match(new RegExp(`^${f}:\\s*"?([^"\\n]+)"?$`, 'm'))?.[1];
const helm = () => process.env.HELM || run('sh', ['-c', 'command -v helm || echo "$(go env GOPATH)/bin/helm"']);

if (command === 'check') {
  if (!arg) fail('usage: check TAG');
  const want = {
    tag: arg.replace(/^v/, ''),
    'package.json version': version,
    'Chart.yaml version': chartField('version'),
    'Chart.yaml appVersion': chartField('appVersion'),
  };
  const distinct = new Set(Object.values(want));
  if (!arg.startsWith('v') || distinct.size !== 1)
    fail(
      `the tag and the versions must agree (v<version>): ${Object.entries(want)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  console.log(`v${version}: package.json, Chart.yaml and the tag agree`);
} else if (command === 'push') {
  const images = JSON.parse(readFileSync(join(root, 'dist/images/images.json'), 'utf8'));
  for (const img of images) {
    // The archive's own name, or the same repository name and tag under another registry.
    const target = values.registry ? `${values.registry.replace(/\/$/, '')}/${img.ref.split('/').pop()}` : img.ref;
    // Pushed from its OCI layout (index.json), so the manifest that was built is the one pushed:
    // crane reading the tarball's manifest.json would write a new (Docker-typed) manifest.
    const layout = mkdtempSync(join(tmpdir(), 'glider-push-'));
    let pushed;
    try {
      run('tar', ['-xf', img.file, '-C', layout, 'oci-layout', 'index.json', 'blobs']);
      pushed = run(crane(), ['push', layout, target]);
    } finally {
      rmSync(layout, { recursive: true, force: true });
    }
    const built = img.digestRef.split('@')[1];
    if (!pushed.endsWith(`@${built}`)) fail(`${target}: the registry reports ${pushed}, the archive holds ${built}`);
    console.log(pushed);
  }
} else if (command === 'chart') {
  if (!values.registry?.startsWith('oci://')) fail('usage: chart --registry oci://HOST/PATH [--plain-http]');
  const dir = mkdtempSync(join(tmpdir(), 'glider-chart-'));
  try {
    run(helm(), ['package', join(root, 'charts/glider'), '--destination', dir]);
    const tgz = join(dir, `glider-${chartField('version')}.tgz`);
    run(helm(), ['push', tgz, values.registry, ...(values['plain-http'] ? ['--plain-http'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    console.log(`${values.registry.replace(/\/$/, '')}/glider:${chartField('version')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  fail('usage: release.mjs check TAG | push [--registry HOST/PATH] | chart --registry oci://HOST/PATH [--plain-http]');
}
