import { pino } from 'pino';
import { decodeFrame, encodeAck, encodeBatchAck, encodeFrame, InProcessBus, subjects, type BusSubscription, type Frame } from '#libs/bus';
import { configSchema, type GliderConfig } from '#libs/config';
import { makeScramCredentials } from '#libs/auth';
import { createSessionRegistry, type SessionRegistry } from '#libs/sessions';
import { createStorage, type Storage } from '#libs/storage';
import { HealthRegistry, type Logger } from '#libs/telemetry';
import { tempDir, type TempDir } from '#libs/testing';
import { EdgeServer } from '../edge.server.js';

export const DOMAIN = 'example.test';

export interface EdgeHarness {
  config: GliderConfig;
  bus: InProcessBus;
  storage: Storage;
  registry: SessionRegistry;
  health: HealthRegistry;
  edge: EdgeServer;
  dir: TempDir;
  /** Frames the fake router and presence received, in order. */
  routed: Frame[];
  presence: Frame[];
  /** Back-off waits and other observable events, in order. */
  events: string[];
  addUser(username: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real edge on loopback with free ports, the in-process bus, embedded storage, and a tiny router
 * that acks every stanza and echoes messages and IQs back to the sender's session (the `to` is the
 * sender's own account).
 */
export async function startEdge(overrides: Record<string, unknown> = {}, opts: { router?: boolean; logger?: Logger } = {}): Promise<EdgeHarness> {
  const dir = tempDir('glider-edge-');
  const edgeOverrides = (overrides.edge ?? {}) as Record<string, unknown>;
  const config = configSchema.parse({
    ...overrides,
    domains: [DOMAIN],
    dataDir: dir.path,
    log: { level: 'silent' },
    edge: {
      id: `edge-${Math.random().toString(36).slice(2)}`,
      host: '127.0.0.1',
      c2sPort: 0,
      directTlsPort: 0,
      wssPort: 0,
      wsPort: 0,
      authFailureDelayMs: 1,
      authFailureDelayMaxMs: 8,
      drainTimeoutMs: 200,
      ...edgeOverrides,
    },
  });
  const logger = opts.logger ?? pino({ level: process.env.EDGE_TEST_LOG ?? 'silent' });
  const bus = new InProcessBus();
  const storage = await createStorage(config, logger);
  await storage.open();
  const registry = createSessionRegistry(bus, { logger });
  await registry.start();
  const health = new HealthRegistry();
  health.markStarted();
  const routed: Frame[] = [];
  const presence: Frame[] = [];
  const events: string[] = [];
  const subs: BusSubscription[] = [];
  if (opts.router !== false) {
    subs.push(
      bus.subscribe(subjects.routerIn(0).replace(/0$/, '*'), (msg) => {
        const frame = decodeFrame(msg.data);
        // a session's route lane (routing/outbound.ts) sends what came meanwhile as one batch: each stanza as its own
        for (const s of frame.batch ? frame.batch.stanzas : [frame.stanza]) {
          routed.push(s ? { stanza: s } : frame);
          if (s && s.origin && s.kind !== 'PRESENCE' && s.type !== 'error' && s.type !== 'result') {
            const echo = Buffer.from(s.xml)
              .toString()
              .replace(/^<(\w+)/, '<$1 data-echo="1"');
            bus.publish(subjects.edgeDeliver(s.origin.edgeId), encodeFrame({ stanza: { ...s, xml: Buffer.from(echo), target: s.origin } }));
          }
        }
        if (!msg.replyExpected) return;
        msg.respond(frame.batch ? encodeBatchAck({ acks: frame.batch.stanzas.map(() => ({ taken: true })) }) : encodeAck({ taken: true }));
      }),
    );
  }
  subs.push(
    bus.subscribe(subjects.presenceIn(0).replace(/0$/, '*'), (msg) => {
      presence.push(decodeFrame(msg.data));
      if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
    }),
  );
  const edge = new EdgeServer({
    config,
    logger,
    bus,
    storage,
    registry,
    health,
    delay: async (ms, why) => {
      const what = why === 'gate' ? 'gate' : 'delay';
      events.push(`${what} ${ms}`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`${what} ${ms} done`);
    },
  });
  await edge.start();
  return {
    config,
    bus,
    storage,
    registry,
    health,
    edge,
    dir,
    routed,
    presence,
    events,
    addUser: async (username, password) =>
      storage.accounts.create({ username, domain: DOMAIN, scram: await makeScramCredentials(password), createdAt: new Date(), disabled: false }),
    stop: async () => {
      await edge.stop();
      for (const s of subs) await s.unsubscribe();
      await registry.stop();
      await bus.close();
      await storage.close();
      dir.remove();
    },
  };
}
