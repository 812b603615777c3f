/**
 * The inbound side of one s2s stream carries every sender of a remote domain, where a client's
 * stream carries one. Waiting for the router's Ack of each stanza before the next (what a client
 * stream does) serialises the whole domain behind one round trip per stanza: a bus hop or more per
 * stanza, one event-loop turn each, so nothing is ever batched (docs/performance.md, "Federation").
 *
 * Lanes keep what RFC 6120 §10.1 asks for — stanzas of one sender handled in the order they came —
 * by chaining each stanza behind the previous one of the same key (the sender's bare JID, the key
 * the router partitions by), and let different senders' stanzas be taken at the same time. At most
 * `max` are under way for the stream: `admit` waits for room, so the caller's in-order read loop
 * (stream/inbound-flow.ts) stops and reading pauses, as for a client that sends faster than it is
 * served.
 */
export class SenderLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private underway = 0;
  private readonly room: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Stanzas admitted and not yet handled. */
  get inFlight(): number {
    return this.underway;
  }

  /**
   * Runs `fn` after every earlier stanza of `key`; resolves once it is admitted (not when it is
   * done), waiting while `max` are under way.
   */
  async admit(key: string, fn: () => Promise<void>): Promise<void> {
    while (this.underway >= this.max) await new Promise<void>((resolve) => this.room.push(resolve));
    this.underway++;
    const before = this.tails.get(key);
    const run = (before ? before.then(fn) : fn()).catch(this.onError).finally(() => {
      this.underway--;
      if (this.tails.get(key) === run) this.tails.delete(key);
      this.room.shift()?.();
    });
    this.tails.set(key, run);
  }

  /** Resolves once everything admitted so far has been handled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
