/**
 * Micro-benchmark of the bus codec's hot path (one encode and one decode per routed stanza):
 *   node dist/libs/bus/src/frame.codec.bench.js [iterations] [codec module…]
 * Prints ns per operation, the best of 15 rounds; bounded by its iteration count (default 50 000).
 * Given several codec modules (e.g. an older build), it measures them in alternating rounds.
 */
import { pathToFileURL } from 'node:url';
import type { Frame } from './messages.js';

interface Codec {
  encodeFrame(f: Frame): Uint8Array;
  decodeFrame(b: Uint8Array): Frame;
}

const body = 'x'.repeat(120);
const xml = Buffer.from(`<message to="bob@example.com/phone" from="alice@example.com/laptop" type="chat" id="m-1"><body>${body}</body></message>`);
const stanza: Frame = {
  stanza: {
    from: 'alice@example.com/laptop',
    to: 'bob@example.com/phone',
    kind: 'MESSAGE',
    type: 'chat',
    id: 'm-1',
    xml,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    origin: { edgeId: 'edge-0', sessionId: 's-1234567890' },
    target: { edgeId: 'edge-1', sessionId: 's-0987654321' },
    hops: 0,
  },
};
const session: Frame = { session: { kind: 'ENDED', jid: 'alice@example.com/laptop', session: { edgeId: 'edge-0', sessionId: 's-1' }, wasAvailable: true } };

/** ns per call of `op`: the best of `rounds` timed runs of `iterations` calls. */
function nsPerOp(iterations: number, op: () => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) op();
  return Number(process.hrtime.bigint() - t0) / iterations;
}

// Codecs are measured in alternating rounds in one process, so a busy machine slows them alike.
const args = process.argv.slice(2);
const iterations = Number(args.find((a) => /^\d+$/.test(a)) ?? 50_000);
const paths = args.filter((a) => !/^\d+$/.test(a));
if (paths.length === 0) paths.push(new URL('./frame.codec.js', import.meta.url).pathname);
const codecs = await Promise.all(paths.map(async (p) => (await import(pathToFileURL(p).href)) as Codec));
const best = new Map<string, number>();
for (let round = 0; round < 15; round++) {
  codecs.forEach((codec, c) => {
    for (const [name, frame] of Object.entries({ stanza, session })) {
      const bytes = codec.encodeFrame(frame);
      const keep = (k: string, v: number) => best.set(k, Math.min(best.get(k) ?? Infinity, v));
      keep(
        `${c}\tencode ${name}`,
        nsPerOp(iterations, () => codec.encodeFrame(frame)),
      );
      keep(
        `${c}\tdecode ${name}`,
        nsPerOp(iterations, () => codec.decodeFrame(bytes)),
      );
    }
  });
}
for (const [k, v] of best) {
  const [c, what] = k.split('\t') as [string, string];
  console.log(`${paths[Number(c)]}  ${what.padEnd(15)} ${v.toFixed(0).padStart(6)} ns/op`);
}
