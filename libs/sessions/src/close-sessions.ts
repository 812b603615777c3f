import { encodeFrame, subjects, type Bus } from '#libs/bus';
import type { SessionRegistry } from './session-registry.js';

/**
 * Asks the edge of each session of `bare` to close that stream with the stream error `condition`
 * (RFC 6120 §4.9.3), through a CLOSE_SESSION edge control frame; `except` (a session id) stays open.
 * Returns how many sessions were asked.
 */
export async function closeSessionsOf(bus: Bus, registry: SessionRegistry, bare: string, condition: string, text: string, except?: string): Promise<number> {
  const live = (await registry.ofUser(bare)).filter((s) => s.sessionId !== except);
  for (const s of live) {
    bus.publish(subjects.edgeControl(s.edgeId), encodeFrame({ control: { kind: 'CLOSE_SESSION', sessionId: s.sessionId, condition, text } }));
  }
  return live.length;
}
