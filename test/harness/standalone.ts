import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '#libs/testing';
import { startGlider, type GliderProcess } from './glider-process.js';
import { registerAdminToken } from './gliderctl.js';

/** Where a test reaches one edge. */
export interface EdgeEndpoint {
  host: string;
  c2sPort: number;
  directTlsPort: number;
  wssPort: number;
}

export interface Deployment {
  domain: string;
  edges: EdgeEndpoint[];
  adminPort: number;
  /** PEM of the certificate the edges serve (self-signed unless the test brought one). */
  certPem(): string;
  processes: GliderProcess[];
  stop(): Promise<void>;
}

export async function edgeEnv(
  host = '127.0.0.1',
  fixed?: Partial<EdgeEndpoint> & { wsPort?: number },
): Promise<{ env: Record<string, string>; endpoint: EdgeEndpoint }> {
  const endpoint = {
    host,
    c2sPort: fixed?.c2sPort ?? (await freePort()),
    directTlsPort: fixed?.directTlsPort ?? (await freePort()),
    wssPort: fixed?.wssPort ?? (await freePort()),
  };
  return {
    endpoint,
    env: {
      GLIDER_EDGE__HOST: host,
      GLIDER_EDGE__C2S_PORT: String(endpoint.c2sPort),
      GLIDER_EDGE__DIRECT_TLS_PORT: String(endpoint.directTlsPort),
      GLIDER_EDGE__WSS_PORT: String(endpoint.wssPort),
      GLIDER_EDGE__WS_PORT: String(fixed?.wsPort ?? (await freePort())),
    },
  };
}

/**
 * TURN (media.turn) on loopback with free ports, so parallel tests never fight over 3478/5349; a
 * test that drives a TURN client sets fixed free ports instead.
 */
export const turnTestEnv: Record<string, string> = {
  GLIDER_MEDIA__TURN__HOST: '127.0.0.1',
  GLIDER_MEDIA__TURN__UDP_PORT: '0',
  GLIDER_MEDIA__TURN__TCP_PORT: '0',
  GLIDER_MEDIA__TURN__TLS_PORT: '0',
};

/** `standalone` as a user runs it, with its own data dir and free ports. */
export async function startStandalone(extraEnv: Record<string, string> = {}): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'glider-standalone-'));
  const adminPort = await freePort();
  const edge = await edgeEnv();
  const env = {
    GLIDER_DATA_DIR: dataDir,
    GLIDER_ADMIN__GRPC_PORT: String(adminPort),
    GLIDER_HTTP__HOST: '127.0.0.1',
    GLIDER_HTTP__PORT: String(await freePort()),
    GLIDER_LOG__LEVEL: 'debug',
    // media-relay's listeners (when a test enables it) on free ports, like the edge's.
    GLIDER_MEDIA__SOCKS5__PORT: '0',
    ...turnTestEnv,
    ...edge.env,
    ...extraEnv,
  };
  const proc = await startGlider('standalone', env, { logDir: dataDir });
  registerAdminToken(adminPort, dataDir);
  return {
    domain: 'localhost',
    edges: [edge.endpoint],
    adminPort,
    certPem: () => readFileSync(join(dataDir, 'tls', 'self-signed.crt'), 'utf8'),
    processes: [proc],
    stop: async () => {
      await proc.stop();
    },
  };
}
