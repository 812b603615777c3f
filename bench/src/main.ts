// `npm run bench`: drives real XMPP client connections against any server and prints a table plus
// one JSON line per scenario. Run with --help for the options.
import { jsonLine, renderCpuPerUnit, renderTable } from './report/table.js';
import { parseBenchArgs, SCENARIO_HELP } from './scenarios/cli-options.js';
import { runScenarios } from './scenarios/run-scenarios.js';

const HELP = `usage: npm run bench -- --host H --port P --domain D [options]\n${SCENARIO_HELP}`;

async function main(): Promise<void> {
  const { opts, jsonOnly } = parseBenchArgs(process.argv.slice(2), HELP);
  const results = await runScenarios(opts, (r) => console.log(jsonLine(r)));
  if (!jsonOnly) {
    console.log(`\n${renderTable(results)}`);
    const cpu = renderCpuPerUnit(results);
    if (cpu) console.log(`\n${cpu}`);
    if (results.some((r) => r.generator.saturated)) {
      console.log("\nA generator process was near 100 % of a core: raise --workers, the figures may be the generator's limit.");
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
