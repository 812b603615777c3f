// A load-generator process: forked by the coordinator, it holds its share of the connections and
// runs the commands it is sent, reporting results with its own CPU use.
import { performance } from 'node:perf_hooks';
import { exportSaltedCache, importSaltedCache } from '../client/scram.js';
import type { XmppConnection } from '../client/xmpp-connection.js';
import { connectMany, type Login } from './connect-many.js';
import { joinRoom } from './muc-join.js';
import type { Command, Reply } from './protocol.js';
import { runRate } from './rate-load.js';
import { type Flow, runFlows } from './stream-load.js';

const open: XmppConnection[] = [];
/** The `idle` scenario's connections (the soak keeps them alive with whitespace). */
const idle: XmppConnection[] = [];
let flows: Flow[] = [];

async function handle(cmd: Command): Promise<unknown> {
  switch (cmd.op) {
    case 'login': {
      const logins: Login[] = [];
      for (let i = cmd.from; i < cmd.from + cmd.count; i++) logins.push({ user: i % cmd.users, resource: `l${i}` });
      return connectMany(cmd.target, logins, cmd.concurrency, (c) => open.push(c));
    }
    case 'idle':
      return connectMany(
        cmd.target,
        cmd.users.map((user) => ({ user, resource: 'idle' })),
        cmd.concurrency,
        (c) => (open.push(c), idle.push(c)),
      );
    case 'msgSetup': {
      const logins = cmd.pairs.flatMap((p) => [
        { user: 2 * p, resource: 's' },
        { user: 2 * p + 1, resource: 'r' },
      ]);
      const conns: XmppConnection[] = [];
      const r = await connectMany(cmd.target, logins, cmd.concurrency, (c, i) => (conns[i] = c));
      open.push(...conns.filter(Boolean));
      flows = [];
      for (let i = 0; i < logins.length; i += 2) {
        const [sender, receiver] = [conns[i], conns[i + 1]];
        if (sender && receiver) flows.push({ sender, receivers: [receiver], pacer: receiver, to: receiver.jid, type: 'chat' });
      }
      return r;
    }
    case 'mucSetup':
      return mucSetup(cmd);
    case 'msgRun':
    case 'mucRun':
      return runFlows(flows, cmd);
    case 'rateRun':
      return runRate(flows, idle, cmd);
    case 'closeAll': {
      const n = open.length;
      await Promise.all(open.splice(0).map((c) => c.close()));
      idle.length = 0;
      flows = [];
      return { closed: n };
    }
    case 'cacheExport':
      return exportSaltedCache();
    case 'cacheImport':
      importSaltedCache(cmd.entries);
      return { size: cmd.entries.length };
  }
}

async function mucSetup(cmd: Extract<Command, { op: 'mucSetup' }>): Promise<unknown> {
  const s = cmd.occupants;
  const logins = cmd.rooms.flatMap((room) => Array.from({ length: s }, (_, k) => ({ user: room * s + k, resource: 'muc' })));
  const conns: XmppConnection[] = [];
  const r = await connectMany(cmd.target, logins, cmd.concurrency, (c, i) => (conns[i] = c));
  open.push(...conns.filter(Boolean));
  flows = [];
  const joinErrors: string[] = [];
  await Promise.all(
    cmd.rooms.map(async (room, ri) => {
      const members = conns.slice(ri * s, ri * s + s);
      if (members.some((m) => !m)) return;
      const jid = `bench${room}@${cmd.target.mucDomain}`;
      // Every join is announced to everyone already in (XEP-0045 §7.2.3): seating S occupants at once
      // is ~S²/2 presence deliveries, so a large room gets joinMsPerOccupant per occupant, and may
      // be seated in waves of joinWave (each wave once the previous one is in).
      const timeoutMs = Math.max(Math.min(cmd.target.timeoutMs, 10_000), s * cmd.joinMsPerOccupant);
      const wave = cmd.joinWave > 0 ? cmd.joinWave : s;
      try {
        await joinRoom(members[0]!, jid, 'o0', timeoutMs);
        for (let from = 1; from < s; from += wave)
          await Promise.all(members.slice(from, from + wave).map((m, k) => joinRoom(m, jid, `o${from + k}`, timeoutMs)));
        flows.push({ sender: members[0]!, receivers: members, pacer: members[0]!, to: jid, type: 'groupchat' });
      } catch (err) {
        joinErrors.push(String((err as Error).message));
      }
    }),
  );
  return { ...r, errors: [...r.errors, ...joinErrors.slice(0, 5)], rooms: flows.length };
}

async function answer(msg: { id: number; cmd: Command }): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let reply: Reply;
  const usage = () => {
    const cpu = process.cpuUsage(cpu0);
    return { cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0 };
  };
  try {
    const result = await handle(msg.cmd);
    reply = { id: msg.id, ok: true, result, usage: usage() };
  } catch (err) {
    reply = { id: msg.id, ok: false, error: String((err as Error).stack ?? err), usage: usage() };
  }
  process.send?.(reply);
}

process.on('message', (msg: { id: number; cmd: Command }) => void answer(msg));

process.on('disconnect', () => process.exit(0));

// One broken connection must not take its process's share of the load down with it.
process.on('uncaughtException', (err) => console.error(`generator: ${err.stack ?? err}`));
