// Micro-benchmark of JID parsing (not a test): node dist/libs/jid/bench/jid.bench.js
import { parseJid } from '../src/index.js';

function run(label: string, inputs: string[], rounds: number): void {
  const start = process.cpuUsage(); // CPU time, not wall time: the machine is shared
  let n = 0;
  for (let r = 0; r < rounds; r++) for (const s of inputs) n += parseJid(s).local.length >= 0 ? 1 : 0;
  const used = process.cpuUsage(start);
  const ns = (used.user + used.system) * 1000;
  console.log(`${label}: ${Math.round(n / (ns / 1e9)).toLocaleString('en')} parses/s`);
}

const hot = Array.from({ length: 1000 }, (_, i) => `user${i}@example.com/phone-${i}`);
const cold = Array.from({ length: 100_000 }, (_, i) => `User${i}@Example.com/res-${i}`);
const unicode = Array.from({ length: 20_000 }, (_, i) => `jürgen${i}@bücher.example/Téléphone ${i}`);
run('cached ASCII      ', hot, 200);
run('uncached ASCII    ', cold, 1);
run('uncached Unicode  ', unicode, 1);
