// The image tools, built once per machine from the Go module proxy into .ci/.tools, keyed by version:
//   oci-pack (scripts/image/oci-pack: go-containerregistry, pinned in its go.mod) writes the archives;
//   crane (the same go-containerregistry release) reads them back (the smoke test's `crane export`)
//   and pushes them (the release workflow).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const packSrc = join(root, 'scripts/image/oci-pack');

/** The go-containerregistry release oci-pack's go.mod pins; crane is taken at the same one. */
export function ggcrVersion() {
  const m = /github\.com\/google\/go-containerregistry (v\S+)/.exec(readFileSync(join(packSrc, 'go.mod'), 'utf8'));
  if (!m) throw new Error('scripts/image/oci-pack/go.mod does not require github.com/google/go-containerregistry');
  return m[1];
}

function go(args, opts) {
  try {
    execFileSync('go', args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  } catch (e) {
    if (e.code === 'ENOENT') throw new Error('the image tools are built with Go (go 1.25+ on PATH): none found');
    throw e;
  }
}

/** .ci/.tools/oci-pack-<ggcr version>-<hash of its source>/oci-pack, built when missing. */
export function ociPack() {
  const h = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) h.update(readFileSync(join(packSrc, f)));
  const dir = join(root, `.ci/.tools/oci-pack-${ggcrVersion()}-${h.digest('hex').slice(0, 12)}`);
  const bin = join(dir, 'oci-pack');
  if (!existsSync(bin)) go(['build', '-trimpath', '-buildvcs=false', '-o', bin, '.'], { cwd: packSrc, env: { ...process.env, CGO_ENABLED: '0' } });
  return bin;
}

/** .ci/.tools/crane-<version>/crane, installed when missing. */
export function crane() {
  const version = ggcrVersion();
  const dir = join(root, `.ci/.tools/crane-${version}`);
  const bin = join(dir, 'crane');
  if (!existsSync(bin))
    go(['install', `github.com/google/go-containerregistry/cmd/crane@${version}`], { env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0' } });
  return bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(ociPack());
  console.log(crane());
}
