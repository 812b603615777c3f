import { xml } from '#libs/xml';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { EdgeFeature } from '../edge-feature.js';
import { HeldQueue } from './held-queue.js';
import { verdict } from './importance.js';

export const CSI_NS = 'urn:xmpp:csi:0';

/**
 * XEP-0352 Client State Indication (0.2.x/1.0): after authentication the stream offers <csi/>
 * (§3.1); <inactive/> makes it hold unimportant stanzas (importance.ts), <active/> writes them all
 * in order before anything the client sends next is handled (§4.1, in-order processing). Config
 * `edge.csi.*`: `enabled`, `maxHeldStanzas`, `maxHeldBytes`.
 */
export const csiFeature: EdgeFeature = {
  name: 'csi',
  spec: { xep: 352, version: '1.0.0' },
  setup: ({ hooks, config }) => {
    const csi = config.edge.csi;
    if (!csi.enabled) return [];
    /** Streams whose client is inactive, with what they hold (every stream starts active, §4). */
    const inactive = new WeakMap<C2sStream, HeldQueue>();
    return [
      hooks.on(
        'stream-features',
        ({ stream, features }) => {
          if (stream.state === 'authenticated') features.append(xml('csi', { xmlns: CSI_NS }));
        },
        { priority: 30, owner: 'csi' },
      ),
      hooks.on(
        'negotiate',
        ({ stream, el }) => {
          if (!el.is('inactive', CSI_NS) && !el.is('active', CSI_NS)) return 'continue';
          // Offered only after authentication (§3.1); before it, RFC 6120 §4.9.3.12.
          if (stream.state !== 'authenticated' && stream.state !== 'bound') {
            stream.error('not-authorized', 'client state indication is for authenticated streams');
            return 'stop';
          }
          if (el.name === 'inactive') {
            if (!inactive.has(stream)) {
              inactive.set(stream, new HeldQueue(csi));
              stream.interceptOut(true);
            }
          } else {
            const held = inactive.get(stream);
            inactive.delete(stream);
            held?.flush();
            if (held) stream.interceptOut(false);
          }
          return 'stop'; // no reply to either (§3.2)
        },
        { priority: 30, owner: 'csi' },
      ),
      hooks.on(
        'stanza-out',
        (out) => {
          const held = inactive.get(out.stream);
          if (!held) return;
          const v = verdict(out);
          if (v.kind === 'flush')
            held.flush(); // what was held first, then this one
          else held.hold(out, v.kind === 'collapse' ? v.key : undefined);
        },
        // Before stream management (priority 1000): XEP-0198 numbers and stores a stanza only once CSI
        // lets it go, so a presence CSI drops for a newer one is never counted in `h`.
        { priority: 2000, owner: 'csi', optIn: true },
      ),
      // XEP-0386 Bind2: offered inline; <inactive/> in <bind/> starts the session inactive (no answer).
      hooks.on('bind2-inline', ({ inline }) => void inline.append(xml('feature', { var: CSI_NS })), { priority: 50, owner: 'csi' }),
      hooks.on(
        'bind2-bound',
        ({ stream, request }) => {
          if (request.getChild('inactive', CSI_NS) && !inactive.has(stream)) {
            inactive.set(stream, new HeldQueue(csi));
            stream.interceptOut(true); // its stanza-out handler is opt-in per stream
          }
        },
        { priority: 50, owner: 'csi' },
      ),
      hooks.on('stream-closed', ({ stream }) => void inactive.delete(stream), { owner: 'csi' }),
    ];
  },
};
