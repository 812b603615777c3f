import { connect, type Socket } from 'node:net';
import { clientGreeting, connectRequest, METHOD_NO_AUTH, Rep, replyLength, SOCKS_VERSION, type RepCode } from './socks5.codec.js';

/** What the holder replica answered, and on success the connection to it (paused, handshake done). */
export type ForwardResult = { ok: true; upstream: Socket; early: Buffer } | { ok: false; rep: RepCode; reason: string };

/**
 * Opens the same SOCKS5 CONNECT on the replica that holds `hash` (docs/decisions.md, "SOCKS5
 * across replicas"): to the holder this is just the stream's second connection, so pairing,
 * limits and activation stay in one place. The holder's reply code is passed back to the client.
 */
export function forwardConnect(peer: { host: string; port: number }, hash: string, port: number, timeoutMs: number): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const upstream = connect({ host: peer.host, port: peer.port, noDelay: true, allowHalfOpen: true });
    let buf = Buffer.alloc(0);
    let stage: 'method' | 'reply' = 'method';
    let done = false;
    const finish = (r: ForwardResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      upstream.off('data', onData);
      if (r.ok) upstream.pause();
      else upstream.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, rep: Rep.generalFailure, reason: `the replica holding the stream (${peer.host}:${peer.port}) did not answer` }),
      timeoutMs,
    );
    timer.unref();
    upstream.once('error', (err) => finish({ ok: false, rep: Rep.generalFailure, reason: `the replica holding the stream is unreachable: ${err.message}` }));
    upstream.once('close', () => finish({ ok: false, rep: Rep.generalFailure, reason: 'the replica holding the stream closed the connection' }));
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 'method') {
        if (buf.length < 2) return;
        if (buf[0] !== SOCKS_VERSION || buf[1] !== METHOD_NO_AUTH)
          return finish({ ok: false, rep: Rep.generalFailure, reason: 'the holder refused the method' });
        buf = buf.subarray(2);
        stage = 'reply';
      }
      const n = replyLength(buf);
      if (n === 0) return;
      const rep = buf[1]! as RepCode;
      if (rep !== Rep.succeeded) return finish({ ok: false, rep, reason: `the holder refused the stream (REP ${rep})` });
      finish({ ok: true, upstream, early: Buffer.from(buf.subarray(n)) });
    };
    upstream.on('data', onData);
    upstream.once('connect', () => upstream.write(Buffer.concat([clientGreeting(), connectRequest(hash, port)])));
  });
}
