/**
 * The chaos table (Markdown, one row per fault) and the run that produced it: date, commit and
 * machine, as docs/reliability.md keeps it.
 */
import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { repoRoot } from '../harness/paths.js';
import type { Row } from './run-fault.js';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

export function runDescription(settings: { rate: number }): string {
  const commit = run('git', ['rev-parse', '--short', 'HEAD']) || 'unknown';
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']) ? ' with local changes' : '';
  const cpu = cpus();
  const nats = (run('nats-server', ['--version']) || run('/usr/sbin/nats-server', ['--version'])).replace(/^nats-server:\s*/, '');
  return [
    `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}${dirty}, `,
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, `,
    `Node ${process.version}, nats-server ${nats || 'unknown'}; ${settings.rate} messages/s, loopback.`,
  ].join('');
}

export function table(rows: Row[]): string {
  const head = '| fault | sent | live | stored | bounced | dup | reordered | LOST | s | notes |';
  const rule = '|---|--:|--:|--:|--:|--:|--:|--:|--:|---|';
  const lines = rows.map(
    ({ fault, counts: c, notes, seconds }) =>
      `| ${fault} | ${c.sent} | ${c.live} | ${c.stored} | ${c.bounced} | ${c.duplicates} | ${c.reordered} | ${c.lost > 0 ? `**${c.lost}**` : 0} | ${seconds.toFixed(0)} | ${notes.join('; ').replaceAll('|', '\\|')} |`,
  );
  return [head, rule, ...lines].join('\n');
}
