import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { configSchema } from '#libs/config';
import { jid } from '#libs/jid';
import { Hooks } from '#libs/xmpp-kit';
import type { EdgeContext } from '../edge.context.js';
import type { EdgeHooks } from '../edge.hooks.js';
import type { Transport } from '../transport/transport.js';
import { C2sStream } from './c2s-stream.machine.js';

function fakeTransport(kind: 'tcp' | 'tls'): Transport & { kind: 'tcp' | 'tls' } {
  return {
    kind,
    framed: false,
    remoteAddress: '192.0.2.7',
    secure: kind === 'tls',
    canStartTls: kind === 'tcp',
    tlsVersion: () => undefined,
    channelBindings: () => ({}),
    peerCertificates: () => [],
    onData: () => {},
    onClose: () => {},
    write: () => true,
    onDrain: () => {},
    bufferedBytes: () => 0,
    keepalive: () => {},
    startTls: async () => {},
    pause: () => {},
    resume: () => {},
    end: () => {},
    destroy: () => {},
  };
}

function setup(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = pino({ level }, sink);
  let children = 0;
  const counting = new Proxy(logger, {
    get: (target, prop, receiver) =>
      prop === 'child' ? (...args: Parameters<typeof logger.child>) => (children++, target.child(...args)) : Reflect.get(target, prop, receiver),
  });
  const config = configSchema.parse({ domains: ['localhost'] });
  const ctx = {
    config,
    logger: counting,
    hooks: new Hooks<EdgeHooks>(logger),
    sessions: new Map(),
    stats: { stanzasIn: 0, stanzasOut: 0, authFailures: 0 },
  } as unknown as EdgeContext;
  const transport = fakeTransport('tcp');
  const stream = new C2sStream(ctx, transport);
  return { lines, stream, transport, children: () => children };
}

test('a stream logs with sid, ip, the transport it opened on, and jid once bound (logger made on first use)', () => {
  const { lines, stream, transport, children } = setup('info');
  try {
    assert.equal(children(), 0, 'no child logger until something logs');
    transport.kind = 'tls'; // STARTTLS happened; the stream's logger still names how it opened
    stream.boundTo(jid('alice', 'localhost', 'phone'));
    assert.equal(children(), 0);
    stream.log.info('first');
    stream.log.info('second');
    assert.equal(children(), 1, "the stream's logger is made once, on first use");
    for (const line of lines) {
      assert.equal(line.sid, stream.sessionId);
      assert.equal(line.ip, '192.0.2.7');
      assert.equal(line.transport, 'tcp');
      assert.equal(line.jid, 'alice@localhost/phone');
    }
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['first', 'second'],
    );
  } finally {
    stream.close();
  }
});

test('with info off, info lines build no logger; warn and error still carry the stream bindings', () => {
  const { lines, stream, children } = setup('warn');
  try {
    stream.log.info({ jid: 'x' }, 'dropped');
    stream.log.debug('dropped too');
    assert.equal(children(), 0);
    stream.boundTo(jid('bob', 'localhost', 'laptop'));
    stream.log.warn({ n: 1 }, 'careful');
    stream.log.error('broken');
    assert.equal(children(), 1);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.sid, l.ip, l.transport, l.jid, l.n]),
      [
        ['careful', stream.sessionId, '192.0.2.7', 'tcp', 'bob@localhost/laptop', 1],
        ['broken', stream.sessionId, '192.0.2.7', 'tcp', 'bob@localhost/laptop', undefined],
      ],
    );
  } finally {
    stream.close();
  }
});
