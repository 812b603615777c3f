import type { TransportAddress } from './stun-attributes.js';

/**
 * Permissions (RFC 8656 §9) and channel bindings (§12) of one allocation. A permission is per
 * peer IP address (the port is ignored) and lasts `permissionLifetimeSec` (300 s) unless
 * refreshed; a channel binds a number to a peer transport address for `channelLifetimeSec`
 * (600 s). Expired entries are dropped when seen, and before a new one is counted against the
 * allocation's bound, so no timer per entry is needed.
 */
export interface PermissionLimits {
  permissionLifetimeMs: number;
  channelLifetimeMs: number;
  maxPermissions: number;
  maxChannels: number;
}

export type ChannelBindResult = 'ok' | 'conflict' | 'quota';

const peerKey = (p: TransportAddress): string => `${p.address}|${p.port}`;

export class PermissionTable {
  private readonly permissions = new Map<string, number>();
  private readonly channels = new Map<number, { peer: TransportAddress; expiresAt: number }>();
  private readonly channelOfPeer = new Map<string, number>();

  constructor(
    private readonly limits: PermissionLimits,
    private readonly now: () => number,
  ) {}

  /** Installs or refreshes; false when the allocation already holds its most permissions. */
  permit(ip: string): boolean {
    const t = this.now();
    if (!this.permissions.has(ip) && this.permissions.size >= this.limits.maxPermissions) {
      for (const [k, exp] of this.permissions) if (exp <= t) this.permissions.delete(k);
      if (this.permissions.size >= this.limits.maxPermissions) return false;
    }
    this.permissions.set(ip, t + this.limits.permissionLifetimeMs);
    return true;
  }

  /** Whether a new permission for this IP would fit (CreatePermission checks all before installing any). */
  canPermit(ips: string[]): boolean {
    const t = this.now();
    const fresh = new Set(ips.filter((ip) => !((this.permissions.get(ip) ?? 0) > t)));
    let live = 0;
    for (const [ip, exp] of this.permissions) if (exp > t && !fresh.has(ip)) live++;
    return live + fresh.size <= this.limits.maxPermissions;
  }

  permitted(ip: string): boolean {
    const exp = this.permissions.get(ip);
    if (exp === undefined) return false;
    if (exp > this.now()) return true;
    this.permissions.delete(ip);
    return false;
  }

  /**
   * ChannelBind (§12.2): a number already bound to another peer, or a peer bound to another
   * number, is a conflict (400). Binding also installs or refreshes the peer's permission.
   */
  bind(channel: number, peer: TransportAddress): ChannelBindResult {
    const t = this.now();
    const key = peerKey(peer);
    const existing = this.channels.get(channel);
    const liveExisting = existing && existing.expiresAt > t ? existing : undefined;
    if (existing && !liveExisting) this.unbind(channel);
    if (liveExisting && peerKey(liveExisting.peer) !== key) return 'conflict';
    const other = this.channelOfPeer.get(key);
    if (other !== undefined && other !== channel) {
      const o = this.channels.get(other);
      if (o && o.expiresAt > t) return 'conflict';
      this.unbind(other);
    }
    if (!this.channels.has(channel) && this.channels.size >= this.limits.maxChannels) {
      for (const [n, c] of this.channels) if (c.expiresAt <= t) this.unbind(n);
      if (this.channels.size >= this.limits.maxChannels) return 'quota';
    }
    if (!this.permit(peer.address)) return 'quota';
    this.channels.set(channel, { peer, expiresAt: t + this.limits.channelLifetimeMs });
    this.channelOfPeer.set(key, channel);
    return 'ok';
  }

  /** The peer of a live channel. */
  peerOf(channel: number): TransportAddress | undefined {
    const c = this.channels.get(channel);
    if (!c) return undefined;
    if (c.expiresAt > this.now()) return c.peer;
    this.unbind(channel);
    return undefined;
  }

  /** The live channel bound to this peer, if any. */
  channelOf(peer: TransportAddress): number | undefined {
    const n = this.channelOfPeer.get(peerKey(peer));
    return n !== undefined && this.peerOf(n) ? n : undefined;
  }

  private unbind(channel: number): void {
    const c = this.channels.get(channel);
    if (!c) return;
    this.channels.delete(channel);
    if (this.channelOfPeer.get(peerKey(c.peer)) === channel) this.channelOfPeer.delete(peerKey(c.peer));
  }

  get size(): { permissions: number; channels: number } {
    return { permissions: this.permissions.size, channels: this.channels.size };
  }
}
