import type { EdgeFeature } from '../edge-feature.js';

/**
 * Keeps quiet connections alive and drops dead ones: a whitespace ping (RFC 6120 §4.6.1; a
 * WebSocket ping frame on RFC 7395) after edge.keepaliveIntervalMs without output, and
 * <connection-timeout/> after edge.idleTimeoutMs without input.
 *
 * One repeating timer per stream does both checks (every min(keepaliveIntervalMs, idleTimeoutMs / 4)):
 * an idle session holds one Timeout with its closure instead of two (docs/performance.md, "Idle
 * memory"). The idle check runs at least as often as before, so a silent stream ends no later.
 */
export const keepaliveFeature: EdgeFeature = {
  name: 'keepalive',
  spec: { xep: 199, rfc: 6120, section: '4.6.1' },
  setup: ({ hooks, config }) => [
    hooks.on(
      'stream-opened',
      ({ stream }) => {
        const { keepaliveIntervalMs, idleTimeoutMs } = config.edge;
        const idleCheckMs = idleTimeoutMs > 0 ? Math.max(1, Math.floor(idleTimeoutMs / 4)) : 0;
        const periods = [keepaliveIntervalMs, idleCheckMs].filter((p) => p > 0);
        if (periods.length === 0) return;
        stream.timer(
          Math.min(...periods),
          () => {
            const now = Date.now();
            if (idleTimeoutMs > 0 && now - stream.lastReadAt >= idleTimeoutMs) return stream.error('connection-timeout', 'no traffic');
            // Never during TLS or SASL negotiation: whitespace there breaks byte accounting (§5.3.3).
            if (keepaliveIntervalMs > 0 && stream.state === 'bound' && now - stream.lastWriteAt >= keepaliveIntervalMs) {
              stream.lastWriteAt = now;
              stream.transport.keepalive();
            }
          },
          true,
        );
      },
      { owner: 'keepalive' },
    ),
  ],
};
