// Micro-benchmark of the stream parser (not a test): node dist/libs/xml/bench/parser.bench.js
import { StreamParser, type XmlLimits } from '../src/index.js';

const limits: XmlLimits = { maxStanzaBytes: 262144, maxDepth: 32, maxAttributes: 64, maxAttributeBytes: 16384, maxNameBytes: 256 };
const HEADER = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
const STANZA =
  "<message to='romeo@example.net/orchard' from='juliet@example.com/balcony' type='chat' id='ktx72v49' xml:lang='en'>" +
  "<body>Art thou not Romeo, and a Montague? &lt;3 — ünïcødé</body><active xmlns='http://jabber.org/protocol/chatstates'/>" +
  "<request xmlns='urn:xmpp:receipts'/><origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546014'/></message>";

function run(label: string, chunks: Buffer[], rounds: number): void {
  let count = 0;
  const start = process.cpuUsage(); // CPU time, not wall time: the machine is shared
  for (let r = 0; r < rounds; r++) {
    const p = new StreamParser({ limits });
    p.onElement = () => count++;
    p.onError = (c, t) => {
      throw new Error(`${c}: ${t}`);
    };
    p.write(HEADER);
    for (const c of chunks) p.write(c);
  }
  const used = process.cpuUsage(start);
  const ns = (used.user + used.system) * 1000;
  const bytes = chunks.reduce((n, c) => n + c.length, 0) * rounds;
  console.log(`${label}: ${Math.round(count / (ns / 1e9)).toLocaleString('en')} stanzas/s, ${(bytes / (ns / 1e3)).toFixed(1)} MB/s`);
}

const perWrite = Array.from({ length: 20000 }, () => Buffer.from(STANZA));
const batched = Buffer.from(STANZA.repeat(20000));
const batches: Buffer[] = [];
for (let i = 0; i < batched.length; i += 16384) batches.push(batched.subarray(i, i + 16384));
for (let i = 0; i < 2; i++) {
  run('one stanza per write', perWrite, 5);
  run('16 KiB writes      ', batches, 5);
}
