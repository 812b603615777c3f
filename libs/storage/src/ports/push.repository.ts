/**
 * XEP-0357 push registrations: per account, the app servers' XMPP Push Services (a JID and a
 * PubSub node) the server publishes notifications to, with the publish-options form the client gave
 * at `<enable/>` (passed on with every publish, §7).
 */
export interface PushRegistration {
  /** The XMPP Push Service's JID (as the client wrote it, normalized). */
  service: string;
  /** The PubSub node on it. */
  node: string;
  /** The `<x xmlns='jabber:x:data'/>` publish-options form as XML, when the client gave one. */
  publishOptions?: string;
  /** When this registration was enabled (or last re-enabled). */
  enabledAt: Date;
}

export interface PushRepository {
  /** The owner's registrations, oldest first. */
  list(owner: string): Promise<PushRegistration[]>;
  /**
   * Adds a registration, or replaces the one with the same service and node (§5: the last request's
   * publish options win). Throws StorageLimitError, changing nothing, when a new one would make
   * more than `maxPerAccount`.
   */
  enable(owner: string, registration: PushRegistration, maxPerAccount: number): Promise<void>;
  /**
   * §6: removes the registration of `service` and `node`, or every one of `service` when `node` is
   * undefined. Returns how many went.
   */
  disable(owner: string, service: string, node?: string): Promise<number>;
  /** Account removal. */
  deleteAll(owner: string): Promise<void>;
}
