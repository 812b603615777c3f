// The CPU floor under a cluster's routed stanza: what nats-server and three bare Node processes
// spend on nothing but the bus messages a routed 1:1 message makes in a Glider cluster
// (docs/architecture.md, the stanza path; docs/reliability.md): the sender's edge asks a router (a
// request), the router asks the receiver's edge (a request), that edge answers once it has the
// stanza, and the router answers the sender's edge. No TLS, no XML, no routing decision, no
// protobuf: each stanza is `bytes` opaque bytes, and every process sends a turn's stanzas for one
// peer as one NATS message (more batching than Glider's one request in flight per session, so a
// lower floor). To set beside `bench:compare`'s cluster CPU µs per routed stanza minus
// standalone's: a cluster whose processes are woken for as few stanzas at a time cannot spend less
// per stanza on these hops (docs/performance.md, "What the bus hops cost on this machine").
//   node dist/bench/src/tools/bus-floor.js [seconds=10] [window=500] [bytes=350]
// `window`: stanzas in flight (the bench's msg scenario: 50 pairs × window 10).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '#libs/testing';
import { treeCpuUs } from '../load/process-stats.js';

const ROUTER_IN = 'floor.router';
const EDGE_IN = 'floor.edge';

/** Length-prefixed stanzas in one payload, as a DeliveryBatch carries several. */
function pack(items: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const i of items) size += 4 + i.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const i of items) {
    out.writeUInt32BE(i.length, at);
    out.set(i, at + 4);
    at += 4 + i.length;
  }
  return out;
}

function unpack(data: Uint8Array): Uint8Array[] {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: Uint8Array[] = [];
  for (let at = 0; at < b.length;) {
    const n = b.readUInt32BE(at);
    out.push(b.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

/** Requests over one wildcard inbox, as libs/bus's NatsBus does them: a token per request. */
function requester(nc: NatsConnection): (subject: string, data: Uint8Array) => Promise<Uint8Array> {
  const inbox = `_FLOOR.${process.pid}`;
  const waiting = new Map<string, (data: Uint8Array) => void>();
  let next = 0;
  nc.subscribe(`${inbox}.*`, {
    callback: (_err, msg) => {
      const token = msg.subject.slice(inbox.length + 1);
      const done = waiting.get(token);
      waiting.delete(token);
      done?.(msg.data);
    },
  });
  return (subject, data) =>
    new Promise((resolve) => {
      const token = String(++next);
      waiting.set(token, resolve);
      nc.publish(subject, data, { reply: `${inbox}.${token}` });
    });
}

async function role(name: string, url: string, bytes: number, window: number): Promise<void> {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  if (name === 'receiver') {
    // the receiver's edge: answers each delivery batch with one byte per stanza
    nc.subscribe(EDGE_IN, { callback: (_err, msg: Msg) => void msg.respond(new Uint8Array(unpack(msg.data).length)) });
  } else if (name === 'router') {
    // a router: the turn's stanzas, from every request, to the receiver's edge as one request; each
    // sender's request answered once the edge has answered for its stanzas
    const request = requester(nc);
    let turn: { msg: Msg; items: Uint8Array[] }[] = [];
    let deliveries = 0;
    process.on('message', (m) => m === 'count' && process.send?.(deliveries));
    const flush = (): void => {
      const batch = turn;
      turn = [];
      deliveries++;
      void request(EDGE_IN, pack(batch.flatMap((r) => r.items))).then(() => {
        for (const r of batch) r.msg.respond(new Uint8Array(r.items.length));
      });
    };
    nc.subscribe(ROUTER_IN, {
      callback: (_err, msg) => {
        if (turn.length === 0) setImmediate(flush);
        turn.push({ msg, items: unpack(msg.data) });
      },
    });
  } else {
    // the sender's edge: `window` stanzas in flight, a turn's new ones in one request
    const request = requester(nc);
    const stanza = new Uint8Array(bytes).fill(0x61);
    let queued = 0;
    let done = 0;
    let requests = 0;
    const send = (n: number): void => {
      if (queued === 0) setImmediate(flush);
      queued += n;
    };
    const flush = (): void => {
      const items = new Array<Uint8Array>(queued).fill(stanza);
      queued = 0;
      requests++;
      void request(ROUTER_IN, pack(items)).then((answer) => {
        done += answer.length;
        send(answer.length);
      });
    };
    process.on('message', (m) => {
      if (m === 'start') send(window);
      if (m === 'count') process.send?.([done, requests]);
    });
  }
  await nc.flush();
  process.send?.('ready');
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === 'role') {
  await role(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6]));
} else {
  const seconds = Number(process.argv[2] ?? 10);
  const window = Number(process.argv[3] ?? 500);
  const bytes = Number(process.argv[4] ?? 350);
  if (!(seconds > 0) || !(window > 0) || !(bytes > 0)) {
    console.error('usage: bus-floor.js [seconds > 0] [window > 0] [bytes > 0]');
    process.exit(2);
  }
  // core NATS only, as the cluster's stanza path uses it; killed on exit by libs/testing
  const nats = await startNatsServer({ jetstream: false });
  const children: ChildProcess[] = [];
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
  const url = nats.url;
  const start = async (name: string): Promise<ChildProcess> => {
    const child = fork(new URL(import.meta.url), ['role', name, url, String(bytes), String(window)]);
    children.push(child);
    const [m] = (await once(child, 'message')) as [unknown];
    if (m !== 'ready') throw new Error(`${name} did not start`);
    return child;
  };
  const [receiver, router, sender] = [await start('receiver'), await start('router'), await start('sender')];
  /** Stanzas answered so far, and the NATS messages they took (each request and its answer). */
  const count = async (): Promise<[number, number]> => {
    sender.send('count');
    router.send('count');
    const [[[done, requests]], [deliveries]] = (await Promise.all([once(sender, 'message'), once(router, 'message')])) as [[[number, number]], [number]];
    return [done, 2 * (requests + deliveries)];
  };
  sender.send('start');
  await new Promise((r) => setTimeout(r, 3000)); // warm-up: JIT, socket buffers
  const procs = { 'nats-server': { pid: nats.pid }, 'sender edge': sender, router, 'receiver edge': receiver };
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([n, p]) => [n, treeCpuUs(p.pid!)]));
  const [done0, msgs0] = await count();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const [done1, msgs1] = await count();
  const stanzas = done1 - done0;
  const elapsed = (performance.now() - t0) / 1000;
  const per = Object.entries(procs).map(([n, p]) => [n, (treeCpuUs(p.pid!) - cpu0[n]!) / stanzas] as const);
  const total = per.reduce((s, [, us]) => s + us, 0);
  console.log(
    `bus floor: ${Math.round(stanzas / elapsed).toLocaleString('en')} stanzas/s (window ${window}, ${bytes} B), ` +
      `${((msgs1 - msgs0) / stanzas).toFixed(2)} NATS messages per stanza; CPU µs per stanza: ` +
      `${per.map(([n, us]) => `${n} ${us.toFixed(1)}`).join(', ')}; total ${total.toFixed(1)}`,
  );
  await nats.stop();
  process.exit(0);
}
