// The timed part of `msg` and `muc`: each sender keeps `window` messages in flight; every receiver
// accounts sequence numbers per sender and the end-to-end latency. Senders and receivers of one
// flow live in the same process, so one monotonic clock timestamps both ends.
import { performance } from 'node:perf_hooks';
import type { XmppConnection } from '../client/xmpp-connection.js';
import { attr } from '../client/splitter.js';
import { Histogram } from '../stats/histogram.js';
import { addCounts, SequenceTracker, zeroCounts } from '../stats/sequence-tracker.js';
import type { StreamResult, StreamRun } from './protocol.js';

/** One sender and the receivers of what it sends (one partner for `msg`, the room for `muc`). */
export interface Flow {
  sender: XmppConnection;
  receivers: XmppConnection[];
  /** Address the sender writes to. */
  to: string;
  type: 'chat' | 'groupchat';
  /** The receiver whose arrival frees a window slot (the partner, or the sender's own echo). */
  pacer: XmppConnection;
}

export async function runFlows(flows: Flow[], run: StreamRun): Promise<StreamResult> {
  const latency = new Histogram();
  const errors: string[] = [];
  const body = 'x'.repeat(Math.max(1, run.bodyBytes));
  const start = performance.now();
  const measureFrom = start + run.warmupMs;
  const stopAt = measureFrom + run.durationMs;
  let delivered = 0;
  let sending = true;
  let inFlightTotal = 0;
  let drained: () => void = () => {};

  const states = flows.map((flow) => {
    const state = { sent: 0, inFlight: 0, trackers: new Map<XmppConnection, SequenceTracker>() };
    const sendOne = () => {
      const now = performance.now();
      flow.sender.send(`<message to='${flow.to}' type='${flow.type}' id='${state.sent}.${Math.round(now * 1000)}'><body>${body}</body></message>`);
      state.sent++;
      state.inFlight++;
      inFlightTotal++;
    };
    for (const r of flow.receivers) {
      const tracker = new SequenceTracker();
      state.trackers.set(r, tracker);
      r.onElement = (xml) => {
        if (!xml.startsWith('<message')) return;
        if (attr(xml, 'type') === 'error') {
          if (errors.length < 5) errors.push(xml.slice(0, 300));
          return;
        }
        const id = attr(xml, 'id');
        const dot = id ? id.indexOf('.') : -1;
        if (!id || dot < 0) return;
        const seq = Number(id.slice(0, dot));
        const sentAt = Number(id.slice(dot + 1)) / 1000;
        const now = performance.now();
        const fresh = tracker.accept(seq);
        if (fresh && sentAt >= measureFrom && now < stopAt) {
          delivered++;
          latency.recordMs(now - sentAt);
        }
        if (r === flow.pacer && fresh) {
          state.inFlight--;
          inFlightTotal--;
          if (sending) sendOne();
          else if (inFlightTotal === 0) drained();
        }
      };
    }
    const senderIsReceiver = flow.receivers.includes(flow.sender);
    if (!senderIsReceiver) {
      flow.sender.onElement = (xml) => {
        if (xml.startsWith('<message') && attr(xml, 'type') === 'error' && errors.length < 5) errors.push(xml.slice(0, 300));
      };
    }
    return { flow, state, sendOne };
  });

  for (const s of states) for (let i = 0; i < run.window; i++) s.sendOne();
  await sleep(stopAt - performance.now());
  sending = false;
  if (inFlightTotal > 0) {
    await new Promise<void>((resolve) => {
      drained = resolve;
      setTimeout(resolve, run.drainMs);
    });
  }
  await sleep(Math.min(200, run.drainMs));

  let counts = zeroCounts();
  let sent = 0;
  for (const { state } of states) {
    sent += state.sent;
    for (const t of state.trackers.values()) counts = addCounts(counts, t.counts(state.sent));
  }
  for (const { flow } of states) for (const c of [flow.sender, ...flow.receivers]) c.onElement = () => {};
  return { sent, delivered, latency: latency.toJSON(), counts, errors };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
