// `npm run bench:compare`: the same scenarios, on this machine, in one run, against Prosody and
// ejabberd (Debian packages, configs in bench/peers, started here as plain processes with their
// throttles lifted), Glider standalone and the local Glider cluster; then one table of ratios.
// Each server gets a fresh process, temp dir and free ports, and is stopped before the next starts.
// Glider's part (how it is started and filled with accounts) is isolated in targets/glider.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderArchiveCost } from './report/archive-cost.js';
import { renderClusterCpu, renderComparison, renderPerCore, renderTargets } from './report/compare-table.js';
import { jsonLine, renderCpuPerUnit, renderTable } from './report/table.js';
import { parseBenchArgs, SCENARIO_HELP } from './scenarios/cli-options.js';
import { usersNeeded } from './scenarios/options.js';
import type { ScenarioResult } from './scenarios/result.js';
import { expandArchiveRuns } from './scenarios/archive-runs.js';
import { expandWorkerRuns } from './scenarios/worker-runs.js';
import { medianResults, renderRoundRatios, roundOrder } from './scenarios/rounds.js';
import { runScenarios } from './scenarios/run-scenarios.js';
import { startEjabberd } from './targets/ejabberd.js';
import { startGliderCluster, startGliderStandalone } from './targets/glider.js';
import { startProsody } from './targets/prosody.js';
import type { RunningTarget, StartOutcome, TargetRequest } from './targets/target.js';

const STARTERS: Record<string, (req: TargetRequest) => Promise<StartOutcome>> = {
  prosody: startProsody,
  ejabberd: startEjabberd,
  glider: startGliderStandalone,
  'glider-cluster': startGliderCluster,
};

const HELP = `usage: npm run bench:compare -- [--targets ${Object.keys(STARTERS).join(',')}] [--rounds 3] [--keep-dirs] [--profile] [--archive off,on] [--standalone-workers 1,2] [scenario options]
  --rounds    run every target N times, in turn, the order reversed every other round, and judge the medians
              (each round's table is printed too, with the cluster's ratios to standalone round by round);
              default 3: one run of each target, minutes apart, can catch this machine at twice the CPU; 1 for a quick look
  --profile   run Glider standalone under the V8 profiler and print where its CPU goes (use --keep-dirs to keep it)
  --heap      heap snapshots in idle, with no session and with them, compared per connection (no profiler): Glider
              standalone's process, and the cluster's edge-1 (per connection it holds)
  --archive   run each Glider target once per value with archive.enabled off / on (XEP-0313), labelled
              <target>/mam-off, <target>/mam-on, and print what archiving costs; default: off, as the peers
              run (bench/peers loads no MAM)
  --standalone-workers  run Glider standalone once per standalone.workers value (1, N, auto: edge worker threads),
              labelled glider/w<value>; default: the server's default
${SCENARIO_HELP}`;

let running: RunningTarget | undefined;

async function main(): Promise<void> {
  const { opts, values } = parseBenchArgs(process.argv.slice(2), HELP, {
    targets: { type: 'string', default: Object.keys(STARTERS).join(',') },
    'keep-dirs': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    heap: { type: 'boolean', default: false },
    archive: { type: 'string' },
    'standalone-workers': { type: 'string' },
    rounds: { type: 'string', default: '3' },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: ${String(values.rounds)} is not a count ≥ 1`);
  const names = String(values.targets).split(',');
  for (const n of names) if (!STARTERS[n]) throw new Error(`unknown target ${n}`);
  const runs = expandWorkerRuns(expandArchiveRuns(names, values.archive as string | undefined), values['standalone-workers'] as string | undefined);
  const users = Math.max(opts.users, usersNeeded(opts));
  const results: ScenarioResult[] = [];
  const notes: string[] = [];
  const runsInOrder = Array.from({ length: rounds }, (_, round) => roundOrder(runs, round).map((run) => ({ ...run, round })));
  for (const { target: name, label, env, round } of runsInOrder.flat()) {
    if (rounds > 1) console.log(`round ${round + 1} of ${rounds}: ${label ?? name}`);
    const dir = mkdtempSync(join(tmpdir(), `glider-bench-${name}-`));
    const started = Date.now();
    const outcome = await STARTERS[name]!({
      env,
      dir,
      domain: opts.target.domain,
      userPrefix: opts.target.userPrefix,
      password: opts.target.password,
      users,
      profile: Boolean(values.profile),
      heap: Boolean(values.heap),
    });
    if (!outcome.ok) {
      const line = `${name}: ${name.startsWith('glider') ? 'not available yet' : 'could not run'} (${outcome.reason})`;
      console.log(line);
      notes.push(line);
      if (!values['keep-dirs']) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    running = outcome.target;
    const t = outcome.target;
    console.log(
      `${name}: up on port ${t.port} in ${((Date.now() - started) / 1000).toFixed(1)} s with ${users} accounts; ${t.processes.map((p) => `${p.name}=${p.pid}`).join(' ')}`,
    );
    notes.push(...t.notes);
    let heap = '';
    try {
      await runScenarios(
        {
          ...opts,
          onIdleConnected: t.heapReport ? async (n) => void (heap = (await t.heapReport!(n)) || heap) : undefined,
          users,
          label: label ?? t.label,
          target: { ...opts.target, host: t.host, port: t.port, altPorts: t.altPorts, domain: t.domain, mucDomain: t.mucDomain },
          serverProcesses: t.processes,
        },
        (r) => {
          if (rounds > 1) r.params.round = round + 1;
          results.push(r);
          console.log(jsonLine(r));
        },
      );
    } catch (err) {
      const line = `${name}: run failed (${(err as Error).message})`;
      console.log(line);
      notes.push(line);
    } finally {
      await t.stop();
      running = undefined;
      if (t.report) console.log(`\n${name} profile:\n${t.report()}\n`);
      if (heap) console.log(`${name} heap:\n${heap}\n`);
      if (!values['keep-dirs']) rmSync(dir, { recursive: true, force: true });
      else console.log(`${name}: files kept in ${dir}`);
    }
  }
  const judged = rounds > 1 ? medianResults(results) : results;
  if (rounds > 1) {
    for (let round = 1; round <= rounds; round++) console.log(`\nround ${round}:\n${renderTable(results.filter((r) => r.params.round === round))}`);
    const ratios = renderRoundRatios(results);
    if (ratios) console.log(`\n${ratios}`);
    console.log(`\nmedians of ${rounds} rounds (counts added up; CPU per unit: the round with the median total):`);
  }
  for (const line of report(judged)) console.log(line);
  for (const n of new Set(notes)) console.log(`note: ${n}`);
  if (results.some((r) => r.generator.saturated)) console.log('note: a generator process was near a full core: raise --workers');
}

/** The tables and verdicts over one result per target and scenario. */
function report(results: ScenarioResult[]): string[] {
  const out = [`\n${renderTable(results)}\n`];
  for (const block of [
    renderCpuPerUnit(results),
    renderComparison(results),
    renderPerCore(results),
    renderClusterCpu(results),
    renderTargets(results),
    renderArchiveCost(results),
  ])
    if (block) out.push(`${block}\n`);
  return out;
}

const stopAndExit = async (code: number) => {
  await running?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stopAndExit(130));
process.on('SIGTERM', () => void stopAndExit(143));

main().catch(async (err) => {
  console.error(err instanceof Error ? err.stack : err);
  await stopAndExit(1);
});
