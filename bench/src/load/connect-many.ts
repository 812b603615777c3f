// Opens many logged-in connections with bounded concurrency, timing each login phase.
import { PHASES, XmppConnection } from '../client/xmpp-connection.js';
import { Histogram } from '../stats/histogram.js';
import type { ConnectResult, TargetSpec } from './protocol.js';

const MAX_ERRORS_KEPT = 5;

export interface Login {
  user: number;
  resource: string;
}

export async function connectMany(
  target: TargetSpec,
  logins: Login[],
  concurrency: number,
  onConnected: (conn: XmppConnection, index: number) => void,
): Promise<ConnectResult> {
  const ports = [target.port, ...(target.altPorts ?? [])];
  const phases = Object.fromEntries(PHASES.map((p) => [p, new Histogram()]));
  const result: ConnectResult = { connected: 0, failed: 0, errors: [], mechanism: '', phases: {} };
  let next = 0;
  const lane = async () => {
    while (next < logins.length) {
      const i = next++;
      const { user, resource } = logins[i]!;
      try {
        const { conn, phases: t } = await XmppConnection.login({
          host: target.host,
          port: ports[user % ports.length]!,
          domain: target.domain,
          username: `${target.userPrefix}${user}`,
          password: target.password,
          resource,
          timeoutMs: target.timeoutMs,
          sm: target.sm,
          localAddress: target.localAddresses?.length ? target.localAddresses[user % target.localAddresses.length] : undefined,
        });
        for (const p of PHASES) phases[p]!.recordMs(t[p]);
        result.connected++;
        result.mechanism = conn.mechanism;
        onConnected(conn, i);
      } catch (err) {
        result.failed++;
        if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push(String((err as Error).message ?? err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, logins.length)) }, lane));
  result.phases = Object.fromEntries(PHASES.map((p) => [p, phases[p]!.toJSON()]));
  return result;
}
