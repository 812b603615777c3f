import type { EdgeFeature } from '../edge-feature.js';

/**
 * Keeps quiet connections alive and drops dead ones: a whitespace ping (RFC 6120 §4.6.1; a
 * WebSocket ping frame on RFC 7395) after edge.keepaliveIntervalMs without output, and
 * <connection-timeout/> after edge.idleTimeoutMs without input.
 */
export const keepaliveFeature: EdgeFeature = {
  name: 'keepalive',
  spec: { xep: 199, rfc: 6120, section: '4.6.1' },
  setup: ({ hooks, config }) => [
    hooks.on(
      'stream-opened',
      ({ stream }) => {
        const { keepaliveIntervalMs, idleTimeoutMs } = config.edge;
        if (keepaliveIntervalMs > 0) {
          stream.timer(
            keepaliveIntervalMs,
            () => {
              // Never during TLS or SASL negotiation: whitespace there breaks byte accounting (§5.3.3).
              if (stream.state === 'bound' && Date.now() - stream.lastWriteAt >= keepaliveIntervalMs) {
                stream.lastWriteAt = Date.now();
                stream.transport.keepalive();
              }
            },
            true,
          );
        }
        if (idleTimeoutMs > 0) {
          stream.timer(
            Math.max(1, Math.floor(idleTimeoutMs / 4)),
            () => {
              if (Date.now() - stream.lastReadAt >= idleTimeoutMs) stream.error('connection-timeout', 'no traffic');
            },
            true,
          );
        }
      },
      { owner: 'keepalive' },
    ),
  ],
};
