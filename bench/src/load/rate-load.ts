// The soak's load in one generator process: its pairs send at a steady rate (open loop, paced by
// the clock, not by deliveries), every delivery is checked for loss, duplicates and order and
// timed end to end; results are cut into intervals aligned on a wall-clock start that the
// coordinator's sampler shares. Meanwhile the idle connections send a whitespace keepalive now
// and then (as real clients do; the server closes a stream silent for edge.idleTimeoutMs).
import { performance } from 'node:perf_hooks';
import type { XmppConnection } from '../client/xmpp-connection.js';
import { attr } from '../client/splitter.js';
import { Histogram } from '../stats/histogram.js';
import { addCounts, SequenceTracker, zeroCounts } from '../stats/sequence-tracker.js';
import type { RateResult, RateRun } from './protocol.js';
import type { Flow } from './stream-load.js';

/** Pacing tick: each tick sends what the rate owes since the start (no drift, no burst catch-up past maxInFlight). */
const TICK_MS = 10;

interface Slot {
  sent: number;
  delivered: number;
  held: number;
  latency: Histogram;
}

export async function runRate(flows: Flow[], idle: XmppConnection[], run: RateRun): Promise<RateResult> {
  const intervals = Math.max(1, Math.ceil(run.durationMs / run.intervalMs));
  const slots: Slot[] = Array.from({ length: intervals }, () => ({ sent: 0, delivered: 0, held: 0, latency: new Histogram() }));
  const errors: string[] = [];
  const body = 'x'.repeat(Math.max(1, run.bodyBytes));
  // performance.now() of the shared wall-clock start: intervals are cut on the coordinator's grid
  const start = performance.now() + (run.startAtEpochMs - Date.now());
  const stopAt = start + run.durationMs;
  const slotOf = (t: number) => Math.floor((t - start) / run.intervalMs);
  let inFlight = 0;
  let drained: () => void = () => {};

  const states = flows.map((flow) => {
    const state = { sent: 0, tracker: new SequenceTracker() };
    flow.receivers[0]!.onElement = (xml) => {
      if (!xml.startsWith('<message')) return;
      if (attr(xml, 'type') === 'error') {
        if (errors.length < 5) errors.push(xml.slice(0, 300));
        return;
      }
      const id = attr(xml, 'id');
      const dot = id ? id.indexOf('.') : -1;
      if (!id || dot < 0) return;
      const fresh = state.tracker.accept(Number(id.slice(0, dot)));
      if (!fresh) return;
      inFlight--;
      const now = performance.now();
      const sentAt = Number(id.slice(dot + 1)) / 1000;
      const slot = slots[slotOf(sentAt)];
      if (slot) {
        slot.delivered++;
        slot.latency.recordMs(now - sentAt);
      }
      if (now >= stopAt && inFlight === 0) drained();
    };
    flow.sender.onElement = (xml) => {
      if (xml.startsWith('<message') && attr(xml, 'type') === 'error' && errors.length < 5) errors.push(xml.slice(0, 300));
    };
    return { flow, state };
  });

  await sleep(start - performance.now());
  let owed = 0;
  let next = 0;
  const pace = setInterval(() => {
    const now = performance.now();
    if (now >= stopAt || states.length === 0) return;
    const due = Math.floor(((now - start) / 1000) * run.ratePerS) - owed;
    const slot = slots[slotOf(now)];
    for (let i = 0; i < due; i++) {
      owed++;
      if (inFlight >= run.maxInFlight) {
        if (slot) slot.held++;
        continue;
      }
      const { flow, state } = states[next]!;
      next = (next + 1) % states.length;
      flow.sender.send(`<message to='${flow.to}' type='chat' id='${state.sent}.${Math.round(now * 1000)}'><body>${body}</body></message>`);
      state.sent++;
      inFlight++;
      if (slot) slot.sent++;
    }
  }, TICK_MS);
  const keepalive = startKeepalive(idle, run.keepaliveMs);
  await sleep(stopAt - performance.now());
  clearInterval(pace);
  keepalive.stop();
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      drained = resolve;
      setTimeout(resolve, run.drainMs);
    });
  }

  let counts = zeroCounts();
  let sent = 0;
  for (const { flow, state } of states) {
    sent += state.sent;
    counts = addCounts(counts, state.tracker.counts(state.sent));
    flow.sender.onElement = () => {};
    flow.receivers[0]!.onElement = () => {};
  }
  const idleOpen = idle.filter((c) => c.alive).length;
  return {
    intervals: slots.map((s) => ({ sent: s.sent, delivered: s.delivered, held: s.held, latency: s.latency.toJSON() })),
    sent,
    counts,
    idleLost: idle.length - idleOpen,
    idleOpen,
    errors,
  };
}

/** Every idle connection writes a space once per period, the connections spread evenly over it. */
function startKeepalive(idle: XmppConnection[], periodMs: number): { stop(): void } {
  if (periodMs <= 0 || idle.length === 0) return { stop: () => {} };
  const perTick = Math.max(1, Math.ceil((idle.length * TICK_MS * 10) / periodMs));
  let at = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      idle[at]!.keepalive();
      at = (at + 1) % idle.length;
    }
  }, TICK_MS * 10);
  return { stop: () => clearInterval(timer) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
