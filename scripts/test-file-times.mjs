// A node:test reporter for scripts/test.mjs: one JSON line per test file when it ends, with how
// long it ran (from the runner's file-level test:complete event; with process isolation each file
// is one subprocess) and whether it passed. test.mjs balances the e2e shards with these figures.
import { relative } from 'node:path';

export default async function* fileTimes(source) {
  for await (const event of source) {
    if (event.type !== 'test:complete') continue;
    const { name, file, nesting, details } = event.data;
    // the file's own test is named by the path it was given; tests inside it by their titles
    if (nesting !== 0 || !file || !file.endsWith(name)) continue;
    yield JSON.stringify({ file: relative(process.cwd(), file), seconds: Math.round(details.duration_ms / 100) / 10, passed: details.passed }) + '\n';
  }
}
