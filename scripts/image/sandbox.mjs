// A container runtime's essentials, enough to run an image archive as Kubernetes would, with no
// daemon: unpack the image (crane export: its layers, whiteouts applied, into one file system), read
// its config, and run its entrypoint as its user in its working directory in a network namespace
// (`ip netns`), with its own mount and PID namespaces (`unshare`), a read-only root, tmpfs on /tmp
// and on writable volumes, /dev with null/zero/random/urandom, /proc, and read-only bind mounts for
// files handed in (a ConfigMap's). Needs root.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crane } from './tools.mjs';

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
const which = (cmd) => sh('sh', ['-c', `command -v ${cmd}`], { env: { PATH: `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin` } }).trim();

/** Why this machine cannot run the sandbox, or undefined when it can. */
export function unavailable() {
  if (process.getuid?.() !== 0) return 'needs root (network, mount and PID namespaces)';
  for (const cmd of ['ip', 'unshare', 'nsenter', 'mount', 'tar'])
    try {
      which(cmd);
    } catch {
      return `needs ${cmd} on PATH`;
    }
  return undefined;
}

/** The image's config (OCI image-spec config.md: Entrypoint, Cmd, Env, User, WorkingDir, ...) and its name. */
export function imageConfig(archive) {
  const [m] = JSON.parse(sh('tar', ['-xOf', archive, 'manifest.json']));
  const config = JSON.parse(sh('tar', ['-xOf', archive, m.Config]));
  const index = JSON.parse(sh('tar', ['-xOf', archive, 'index.json']));
  return { config, repoTags: m.RepoTags, index };
}

/** Unpacks the image's file system into dir (owners and modes kept). */
export function unpack(archive, dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `"$0" export - - < "$1" | tar -x --numeric-owner -p -C "$2"`, crane(), archive, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
}

let netnsCount = 0;
/** A fresh network namespace with only loopback, up; remove() deletes it. */
export function netns(prefix = 'glider-smoke') {
  const name = `${prefix}-${process.pid}-${netnsCount++}`;
  sh(which('ip'), ['netns', 'add', name]);
  sh(which('ip'), ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, remove: () => sh(which('ip'), ['netns', 'delete', name]) };
}

/** Runs a host command inside the network namespace (a client, as a sidecar would). */
export function inNetns(ns, cmd, args, opts = {}) {
  return spawn(which('ip'), ['netns', 'exec', ns.name, cmd, ...args], opts);
}

const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/**
 * Starts the image's entrypoint (or `args` in place of its Cmd) in the sandbox. `binds`: host file
 * or directory → path in the container (read-only); `volumes`: container directories that get a
 * tmpfs owned by the image's user (emptyDir). Resolves when the process runs; `pid` is its host PID.
 */
export async function run(rootfs, config, { ns, args, env = {}, binds = {}, volumes = [] }) {
  const c = config.config;
  const [uid, gid = uid] = (c.User ?? '0').split(':');
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) throw new Error(`image user "${c.User}": the sandbox runs numeric users only`);
  const argv = [...(c.Entrypoint ?? []), ...(args ?? c.Cmd ?? [])];
  const mounts = [`mount --bind "$R" "$R"`, `mount -o remount,bind,ro "$R"`, `mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"`];
  mounts.push(`mount -t tmpfs -o mode=755 tmpfs "$R/dev"`);
  for (const d of ['null', 'zero', 'random', 'urandom']) mounts.push(`touch "$R/dev/${d}" && mount --bind /dev/${d} "$R/dev/${d}"`);
  for (const v of volumes) mounts.push(`mount -t tmpfs -o mode=0750,uid=${uid},gid=${gid} tmpfs "$R${v}"`);
  for (const [from, to] of Object.entries(binds)) {
    // The mount point is made in the unpacked tree before the root turns read-only, as a runtime does.
    const target = join(rootfs, to);
    if (!existsSync(target)) {
      const isDir = !existsSync(from) || execFileSync('stat', ['-c', '%F', from], { encoding: 'utf8' }).startsWith('directory');
      if (isDir) mkdirSync(target, { recursive: true });
      else {
        mkdirSync(join(target, '..'), { recursive: true });
        execFileSync('touch', [target]);
      }
    }
    mounts.splice(1, 0, `mount --bind ${quote(from)} "$R"${quote(to)} && mount -o remount,bind,ro "$R"${quote(to)}`);
  }
  const script = `set -e; R=${quote(rootfs)}; ${mounts.join('; ')}; exec unshare --pid --fork --kill-child --mount-proc=/proc --root="$R" --wd=${quote(c.WorkingDir || '/')} --setuid ${uid} --setgid ${gid} -- ${argv.map(quote).join(' ')}`;
  const childEnv = Object.fromEntries((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const proc = spawn(which('ip'), ['netns', 'exec', ns.name, which('unshare'), '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script], {
    env: { ...childEnv, ...env, PATH: `${childEnv.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  // The spawned process becomes `unshare --pid --fork`; the image's process is its only child.
  const pid = await new Promise((resolve, reject) => {
    const look = () => {
      if (proc.exitCode !== null) return reject(new Error(`the sandbox exited ${proc.exitCode} before the entrypoint started`));
      try {
        const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim();
        const comm = readFileSync(`/proc/${proc.pid}/comm`, 'utf8').trim();
        if (comm === 'unshare' && children) {
          const child = Number(children.split(' ')[0]);
          if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() !== 'unshare') return resolve(child);
        }
      } catch {
        // not there yet
      }
      setTimeout(look, 20);
    };
    look();
  });
  return {
    proc,
    pid,
    exited,
    uid,
    gid,
    /**
     * Like `kubectl exec`: a command in the running container's namespaces, root, directory and user,
     * with the image's env and this container's (or, with imageEnvOnly, the image's alone).
     */
    exec(cmd, { input, env: execEnv = {}, imageEnvOnly = false } = {}) {
      try {
        return execFileSync(
          which('nsenter'),
          ['--target', String(pid), '--mount', '--net', '--pid', '--root', '--wd', '--setuid', uid, '--setgid', gid, '--', ...cmd],
          {
            encoding: 'utf8',
            input,
            // imageEnvOnly: as another pod of the same image would run it, without this one's env.
            env: { ...childEnv, ...(imageEnvOnly ? {} : env), ...execEnv },
            timeout: 30_000,
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
      } catch (e) {
        throw new Error(`exec ${cmd.join(' ')}: ${e.status === null ? `killed (${e.signal})` : `exit ${e.status}`}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    },
    /** A file of the running container, as the host sees it. */
    file: (path) => readFileSync(`/proc/${pid}/root${path}`, 'utf8'),
  };
}
