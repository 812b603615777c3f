/**
 * The chaos suite (issue 9): each fault in turn on a fresh local cluster under a steady numbered
 * message stream; fails on any LOST > 0. Prints the table at the end; with CHAOS_REPORT=<file> it
 * also writes it there as Markdown (for docs/reliability.md). CHAOS_ONLY=<text> runs only the faults
 * whose name contains it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { FAULTS } from './faults.js';
import { runDescription, table } from './report.js';
import { DEFAULT_SETTINGS, runFault, type Row } from './run-fault.js';

/** One fault's run, start to finish; the suite as a whole stays well under 5 minutes on 2 cores. */
const RUN_TIMEOUT_MS = 120_000;

const only = process.env.CHAOS_ONLY;
const faults = only ? FAULTS.filter((f) => f.name.includes(only)) : FAULTS;

describe('chaos: no silent loss under faults (cluster on loopback)', () => {
  const rows: Row[] = [];
  const failed: string[] = [];

  after(() => {
    const out = [runDescription(DEFAULT_SETTINGS), '', table(rows), ...failed.map((f) => `\nnot measured: ${f}`)].join('\n');
    process.stdout.write(`\n${out}\n\n`);
    const file = process.env.CHAOS_REPORT;
    if (file) writeFileSync(file, out + '\n');
  });

  for (const fault of faults) {
    it(fault.name, { timeout: RUN_TIMEOUT_MS }, async () => {
      let row: Row;
      try {
        row = await runFault(fault);
      } catch (err) {
        failed.push(`${fault.name}: ${(err as Error).message}`);
        throw err;
      }
      rows.push(row);
      const c = row.counts;
      assert.equal(
        c.lost,
        0,
        `${c.lost} of ${c.sent} messages LOST (neither delivered, stored nor bounced), e.g. #${c.lostSample.join(', #')}; logs in ${row.logsKeptIn}`,
      );
    });
  }
});
