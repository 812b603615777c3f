/**
 * Who is online where: one record per bound resource, shared by every router, presence and edge
 * through the bus KV store (bucket `glider_sessions`), with a local cache fed by a watch.
 */
export interface SessionInfo {
  jid: string; // full JID
  edgeId: string;
  sessionId: string;
  priority: number;
  available: boolean;
  interested: boolean;
  boundAtMs: number;
  lastPresence?: Uint8Array;
  /** Enabled XEP-0280 message carbons: routers send it copies of its user's chats. */
  carbons?: boolean;
  /** Requested the XEP-0191 blocklist: gets block and unblock pushes (XEP-0191 §3.3, §3.4). */
  blocklist?: boolean;
}

/** RFC 6120 §7.7.2.2: what binding an already-bound full JID does. */
export type ConflictRule = 'replace' | 'refuse';

export interface BindOutcome {
  ok: boolean;
  /** The session that was replaced (its edge is told to close it with <conflict/>). */
  replaced?: SessionInfo;
}

export interface SessionRegistry {
  start(): Promise<void>;
  stop(): Promise<void>;
  bind(session: SessionInfo, rule: ConflictRule): Promise<BindOutcome>;
  /** Changes a live session's fields; false when it is gone or belongs to another session id. */
  update(
    jid: string,
    sessionId: string,
    patch: Partial<Pick<SessionInfo, 'priority' | 'available' | 'interested' | 'lastPresence' | 'carbons' | 'blocklist'>>,
  ): Promise<boolean>;
  /** Removes the record if it still belongs to `sessionId`; true when this call removed it. */
  remove(jid: string, sessionId: string): Promise<SessionInfo | undefined>;
  /** From the local cache, falling back to the store on a miss. */
  get(jid: string): Promise<SessionInfo | undefined>;
  /**
   * The store's record now, read past the cache (which it then holds): for a caller that acted on a
   * cached record and was told it is stale (a delivery to a session its edge no longer has).
   */
  fresh(jid: string): Promise<SessionInfo | undefined>;
  ofUser(bareJid: string): Promise<SessionInfo[]>;
  /**
   * A user's sessions from the cache only, never the store: what the watch has delivered so far (a
   * bind on another node a moment ago may be missing). For a check that is made again after the
   * caller's own write (the edge's per-account cap), not for routing.
   */
  ofUserCached(bareJid: string): SessionInfo[];
  /** Sessions held by an edge, from the cache (for dead-edge clean-up). */
  onEdge(edgeId: string): SessionInfo[];
  /** Every session this registry knows, from the cache (admin lists of online users; XEP-0133 §4.21). */
  all(): SessionInfo[];
  /** Every edge holding at least one session, from the cache (dead-edge sweeps without a store scan). */
  edges(): string[];
}
