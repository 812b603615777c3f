// `--profile`: Glider standalone runs with V8's sampling profiler (`node --prof`, which keeps
// writing its log even when the process is ended by a signal); after the run the log is
// summarised with `node --prof-process` and the heaviest entries are printed.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function profileArgs(dir: string): string[] {
  return ['--prof', '--no-logfile-per-isolate', `--logfile=${join(dir, 'v8.log')}`];
}

/** Ticks by owner: npm package, Glider app or lib, Node internals, V8 builtins, C++ (syscalls, TLS, GC). */
export function ticksByOwner(text: string): Array<[string, number]> {
  const owners = new Map<string, number>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^ \[([^\]]+)\]:/.exec(line);
    if (header) section = header[1]!;
    const m = /^\s+(\d+)\s+[\d.]+%\s+[\d.]+%\s+(.*)$/.exec(line);
    if (!m || !['JavaScript', 'C++', 'Shared libraries'].includes(section)) continue;
    const name = m[2]!;
    const owner =
      section !== 'JavaScript'
        ? 'C++ / native (syscalls, OpenSSL, zlib)'
        : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(name)?.[1] ??
          /dist\/((?:apps|libs)\/[^/]+)/.exec(name)?.[1] ??
          (/ node:/.test(name) ? 'node internals' : /^(Builtin|RegExp|Bytecode|Handler|Stub)/.test(name) ? 'V8 builtins, IC, regexps' : 'other JS'));
    owners.set(owner, (owners.get(owner) ?? 0) + Number(m[1]));
  }
  const gc = /^\s+(\d+)\s+[\d.]+%\s+[\d.]+%\s+GC$/m.exec(text);
  if (gc) owners.set('GC (included above)', Number(gc[1]));
  return [...owners].sort((a, b) => b[1] - a[1]);
}

/** Summarises the profile into `dir/profile.txt`; returns its first lines (the summary and top ticks). */
export function summariseProfile(dir: string, lines = 40): string {
  const log = join(dir, 'v8.log');
  if (!existsSync(log)) return `no profile log in ${dir}`;
  const text = execFileSync(process.execPath, ['--prof-process', log], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const out = join(dir, 'profile.txt');
  writeFileSync(out, text);
  const start = text.indexOf(' [Summary]:');
  const bottomUp = text.indexOf(' [Bottom up (heavy) profile]:');
  const head = text.split('\n').slice(0, lines).join('\n');
  const summary = start >= 0 ? text.slice(start, start + 600) : '';
  const heavy = bottomUp >= 0 ? text.slice(bottomUp).split('\n').slice(0, lines).join('\n') : '';
  const total = Number(/\((\d+) ticks/.exec(text)?.[1] ?? 0) || 1;
  const owners = ticksByOwner(text)
    .slice(0, 15)
    .map(([o, t]) => `  ${((100 * t) / total).toFixed(1).padStart(5)} %  ${o}`)
    .join('\n');
  return `${head}\n${summary}\n${heavy}\n\nticks by owner (of ${total}, the rest unaccounted):\n${owners}\n(full profile: ${out})`;
}
