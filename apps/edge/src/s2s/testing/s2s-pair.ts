import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { pino } from 'pino';
import { configSchema } from '#libs/config';
import { DomainPolicy, parsePemBundle, type IssuedCertificate, type PolicySettings } from '#libs/federation';
import { serverTlsPolicy } from '#libs/tls';
import type { Element } from '#libs/xml';
import { SocketTransport } from '../../transport/socket.transport.js';
import type { S2sContext } from '../s2s-context.js';
import { S2sInStream } from '../s2s-in.stream.js';
import { S2sOutStream } from '../s2s-out.stream.js';
import { askAuthoritativeServer } from '../dialback-verify.stream.js';

/** One side of a test federation: its context, what it received, what it refused. */
export interface S2sSide {
  domain: string;
  ctx: S2sContext;
  received: { el: Element; local: string; remote: string }[];
  refusals: string[];
  policy: DomainPolicy;
  /** Resolves with the next stanza received. */
  next(): Promise<Element>;
  /** Where the side's dialback verifications dial (domain → loopback port), as `s2s.routes` would say. */
  routes: Map<string, number>;
  /** Dialback verifications this side asked for (Receiving Server, XEP-0220 §2.1.2). */
  verifications: { sender: string; target: string }[];
  /** The XEP-0185 secret of this side (a test may change it to play an impostor). */
  secret: string;
}

export function s2sSide(
  domain: string,
  cert: IssuedCertificate,
  trustPem: string,
  policy: PolicySettings,
  s2s: Record<string, unknown> = {},
  more: { domains?: string[] } = {},
): S2sSide {
  const config = configSchema.parse({ domains: [domain, ...(more.domains ?? [])], log: { level: 'silent' }, s2s });
  const secure = createSecureContext({ ...serverTlsPolicy(), cert: cert.cert, key: cert.key });
  const anchors = parsePemBundle(trustPem);
  const waiters: ((el: Element) => void)[] = [];
  const side: S2sSide = {
    domain,
    received: [],
    refusals: [],
    policy: new DomainPolicy(policy),
    next: () => new Promise((resolve) => waiters.push(resolve)),
    routes: new Map(),
    verifications: [],
    secret: randomBytes(16).toString('hex'),
    ctx: {
      config,
      logger: pino({ level: process.env.EDGE_TEST_LOG ?? 'silent' }),
      stats: { stanzasIn: 0, stanzasOut: 0, authFailures: 0 },
      secureContext: () => secure,
      policy: () => side.policy,
      anchors: () => anchors,
      onRemoteStanza: (el, pair) => {
        side.received.push({ el, ...pair });
        waiters.shift()?.(el);
      },
      refused: (direction, remote, why) => side.refusals.push(`${direction} ${remote}: ${why}`),
      dialback: {
        secrets: () => [side.secret],
        verify: (req) => {
          side.verifications.push({ sender: req.sender, target: req.target });
          return askAuthoritativeServer(side.ctx, verifyIo(side), req);
        },
      },
    },
  };
  return side;
}

/** A listener that runs inbound s2s streams for `side`, on a free loopback port (or `port`); `directTls`: XEP-0368 (TLS first, a client certificate asked for). */
export async function listenS2s(
  side: S2sSide,
  opts: { directTls?: { cert: IssuedCertificate }; port?: number } = {},
): Promise<{ port: number; server: Server; streams: S2sInStream[] }> {
  const streams: S2sInStream[] = [];
  const accept = (socket: import('node:net').Socket) => streams.push(new S2sInStream(side.ctx, new SocketTransport(socket)));
  const server = opts.directTls
    ? createTlsServer(
        {
          ...serverTlsPolicy(),
          cert: opts.directTls.cert.cert,
          key: opts.directTls.cert.key,
          requestCert: true,
          rejectUnauthorized: false,
          ALPNProtocols: ['xmpp-server'],
        },
        accept,
      )
    : createServer(accept);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, streams };
}

/** An outbound stream from `side` to `remote` at 127.0.0.1:port. */
export async function connectS2s(side: S2sSide, remote: string, port: number): Promise<S2sOutStream> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return new S2sOutStream(side.ctx, new SocketTransport(socket), side.domain, remote);
}

/** Plain TCP to the loopback port `side.routes` names (STARTTLS follows on the stream). */
function verifyIo(side: S2sSide) {
  return {
    targets: async (remote: string) => {
      const port = side.routes.get(remote);
      return port ? [{ host: '127.0.0.1', port, directTls: false }] : ('no-service' as const);
    },
    dial: async (target: { host: string; port: number }) => {
      const socket = connect(target.port, target.host);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return new SocketTransport(socket);
    },
  };
}
