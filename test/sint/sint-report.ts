/** What one SINT run produced, read from its java.util.logging output (SINT 4.5.0-beta5's format). */
export interface SintReport {
  passed: number;
  failed: string[];
  /** Tests SINT found impossible against this server ("... is not possible"), with the reason. */
  impossible: { test: string; reason: string }[];
  /** Whole test classes SINT could not run (their set-up found the server lacks something). */
  impossibleClasses: { test: string; reason: string }[];
  /** Tests SINT counted as available (enabled, in classes it could set up). */
  available: number | undefined;
  /** What SINT left out on our request (test/sint/disabled.txt), as it counts them. */
  disabled: { classes: number; tests: number } | undefined;
  /** Why the run is not to be trusted even without failed tests (abort, accounts left behind). */
  problems: string[];
  /** Known Smack races (test/sint/client-races.txt) that failed once and were run again. */
  retried?: { test: string; reason: string; attempts: number; passed: boolean }[];
}

const AVAILABLE = /^Available tests: \d+ \(Disabled (\d+) classes and (\d+) tests\)/;
const FINISHED = /SmackIntegrationTestFramework\[[^\]]*\] finished: (\d+)\/(\d+) \[(\d+) failed\]/;
const COULD_NOT_RUN = /^INFO: Could not run (\S+(?: \([^)]*\))?) because: (.*)$/;

/**
 * Reads the log of `SmackIntegrationTestFramework` (JUL's two-line records: a source line, then
 * "LEVEL: message"). Successes are counted from the "finished" summary; failures from "... Failed"
 * records; impossible tests and classes from the result processor's "Could not run" lines.
 */
export function parseSintLog(text: string): SintReport {
  const report: SintReport = { passed: 0, failed: [], impossible: [], impossibleClasses: [], available: undefined, disabled: undefined, problems: [] };
  let finished = false;
  let deleting = false;
  for (const line of text.split('\n')) {
    if (deleting) {
      // A connection a test closed itself cannot remove its account in band (SINT's limit, not
      // ours); any other reason (an error answer, no answer) is a failure of XEP-0077 <remove/>.
      if (!line.includes('NotConnectedException')) report.problems.push(`XEP-0077 <remove/> failed: ${line.trim()}`);
      deleting = false;
    }
    const left = AVAILABLE.exec(line);
    if (left) report.disabled = { classes: Number(left[1]), tests: Number(left[2]) };
    const done = FINISHED.exec(line);
    if (done) {
      finished = true;
      report.passed = Number(done[1]);
      report.available = Number(done[2]);
      continue;
    }
    if (line.startsWith('SEVERE: ') && line.endsWith(' Failed')) {
      report.failed.push(line.slice('SEVERE: '.length, -' Failed'.length));
      continue;
    }
    const cannot = COULD_NOT_RUN.exec(line);
    if (cannot) {
      const entry = { test: cannot[1]!, reason: cannot[2]! };
      // a concrete test names its method and kind ("Class.method (Normal)"); a class is just a name
      (cannot[1]!.includes(' (') ? report.impossible : report.impossibleClasses).push(entry);
      continue;
    }
    if (line.startsWith('SEVERE: Unexpected abort')) report.problems.push('SINT aborted the run (see the log)');
    if (line.startsWith('WARNING: Could not delete dynamically registered account')) deleting = true;
  }
  if (!finished) report.problems.push('SINT did not finish (no "finished" summary in its log)');
  return report;
}
