import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KubeBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

const NAMES = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;

/** The repository root, from dist/operator/src/testing/control-plane (or the same depth in the sources). */
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

/**
 * Where scripts/ci/install-kube.sh put etcd, kube-apiserver and kube-controller-manager:
 * `$KUBE_BIN_DIR`, else the newest `.ci/.tools/kube-*` holding all three; undefined when none does.
 */
export function findKubeBinaries(env: NodeJS.ProcessEnv = process.env): KubeBinaries | undefined {
  const complete = (dir: string) => NAMES.every((n) => existsSync(join(dir, n)));
  const explicit = env['KUBE_BIN_DIR'];
  let dir: string | undefined;
  if (explicit) dir = complete(explicit) ? explicit : undefined;
  else {
    const tools = join(repoRoot, '.ci', '.tools');
    const candidates = existsSync(tools)
      ? readdirSync(tools)
          .filter((d) => /^kube-v[\d.]+-etcd-v[\d.]+$/.test(d))
          .sort()
          .reverse()
      : [];
    dir = candidates.map((d) => join(tools, d)).find(complete);
  }
  if (!dir) return undefined;
  return { dir, etcd: join(dir, 'etcd'), kubeApiserver: join(dir, 'kube-apiserver'), kubeControllerManager: join(dir, 'kube-controller-manager') };
}
