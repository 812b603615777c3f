import type { Storage } from './storage.js';

/**
 * Deletes an account and everything stored for it (roster, offline messages, vCard, private XML,
 * last activity, uploaded files, blocklist, message archive and its preferences, push registrations,
 * PEP nodes and items, FAST tokens). The account record goes first, so no new login can start while the rest is
 * removed. Returns false when there was no such account (then nothing else is touched).
 * The one place that knows every per-account aggregate: a new repository adds its line here, and
 * both the admin API (DeleteUser) and XEP-0077 <remove/> follow.
 */
export async function deleteAccountAndData(storage: Storage, username: string, domain: string): Promise<boolean> {
  if (!(await storage.accounts.delete(username, domain))) return false;
  const bare = `${username}@${domain}`;
  await Promise.all([
    storage.rosters.deleteAll(bare),
    storage.offline.deleteAll(bare),
    storage.vcards.delete(bare),
    storage.privateXml.deleteAll(bare),
    storage.lastActivity.delete(bare),
    storage.uploads.deleteAll(bare),
    storage.blocklist.deleteAll(bare),
    storage.archive.deleteAll(bare),
    storage.push.deleteAll(bare),
    storage.pubsub.deleteService(bare),
    storage.fastTokens.deleteAll(bare),
    storage.invites.deleteByInviter(bare),
  ]);
  return true;
}
