// `bench:compare --standalone-workers 1,2,auto`: Glider standalone runs once per `standalone.workers` value
// (edge worker threads, docs/decisions.md "Standalone on every core"), labelled glider/w<value>,
// so one thread and N workers are compared on one machine load. Other targets run as they were.
import type { TargetRun } from './archive-runs.js';

export function expandWorkerRuns(runs: TargetRun[], workers: string | undefined): TargetRun[] {
  if (workers === undefined) return runs;
  const values = workers.split(',').map((v) => v.trim());
  for (const v of values)
    if (v !== 'auto' && !(Number.isInteger(Number(v)) && Number(v) >= 1)) throw new Error(`--standalone-workers: ${v} is neither a count ≥ 1 nor auto`);
  return runs.flatMap((run) =>
    run.target === 'glider'
      ? values.map((v) => ({
          target: run.target,
          label: `${run.label ?? run.target}/w${v}`,
          env: { ...run.env, GLIDER_STANDALONE__WORKERS: v },
        }))
      : [run],
  );
}
