import { randomUUID } from 'node:crypto';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import type { Element } from '#libs/xml';
import { eventElement, eventMessage } from './notifications.js';
import type { PubSubConfig } from './pubsub.config.js';
import { PubSubEngine, type PubSubEvent } from './pubsub-engine.js';
import type { Recipients } from './recipients.js';

/**
 * The generic XEP-0060 service on `pubsub.<domain>` (one per local domain; `service` = that host):
 * the same engine as PEP with service defaults (open access, publishers publish). Events go to the
 * node's explicit subscribers (§7.1.2), from the service's address.
 */
export class PubSubDomainService {
  readonly engine: PubSubEngine;

  constructor(
    storage: Storage,
    cfg: PubSubConfig,
    private readonly recipients: Recipients,
    parse: (xml: string) => Element,
    private readonly logger: Logger,
  ) {
    this.engine = new PubSubEngine(storage.pubsub, storage.rosters, cfg, 'service', (e) => this.notify(e), parse);
  }

  private async notify(e: PubSubEvent): Promise<void> {
    if (!e.node.config.deliverNotifications || (e.kind === 'retracted' && !e.notify)) return;
    const msg = eventMessage(e.service, eventElement(e), randomUUID());
    if (e.kind === 'last') return this.recipients.send(e.to, msg);
    for (const [jid, sub] of Object.entries(e.node.record.subscriptions)) {
      if (sub.state !== 'subscribed') continue;
      try {
        await this.recipients.send(jid, msg);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, to: jid }, 'pubsub event not sent');
      }
    }
  }
}
