/**
 * Schema migrations, applied in order at open; `schema_version` holds how many ran. Append only:
 * never edit a released step. Records written by a newer schema fail alone (StorageRecordError).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    domain TEXT NOT NULL,
    username TEXT NOT NULL,
    scram TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    PRIMARY KEY (domain, username)
  ) WITHOUT ROWID;

  -- version: the roster version (RFC 6121 §2.6); floor: roster_changes covers versions above it
  CREATE TABLE roster_versions (
    owner TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    floor INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE roster_items (
    owner TEXT NOT NULL,
    contact TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (owner, contact)
  ) WITHOUT ROWID;
  CREATE TABLE roster_changes (
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    contact TEXT NOT NULL,
    data TEXT NOT NULL,
    removed INTEGER NOT NULL,
    PRIMARY KEY (owner, version)
  ) WITHOUT ROWID;

  -- next: the next offline seq per owner, so a seq is never given out twice
  CREATE TABLE offline_seq (owner TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE offline (
    owner TEXT NOT NULL,
    seq INTEGER NOT NULL,
    xml TEXT NOT NULL,
    stored_at INTEGER NOT NULL,
    PRIMARY KEY (owner, seq)
  ) WITHOUT ROWID;

  CREATE TABLE vcards (owner TEXT PRIMARY KEY, xml TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE private_xml (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    xmlns TEXT NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (owner, name, xmlns)
  ) WITHOUT ROWID;
  CREATE TABLE last_activity (owner TEXT PRIMARY KEY, at INTEGER NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;
  `,
  `
  -- bytes: UTF-8 size of an owner's stored offline XML, kept with every push and removal, so the
  -- byte quota is checked without reading the messages
  CREATE TABLE offline_usage (owner TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO offline_usage (owner, bytes) SELECT owner, SUM(LENGTH(CAST(xml AS BLOB))) FROM offline GROUP BY owner;
  `,
  `
  -- XEP-0363 uploads: the record here, the bytes in <dataDir>/uploads/<id>; state 0 writing,
  -- 1 complete, 2 failed (the id stays claimed: a slot is used once)
  CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    state INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX uploads_owner ON uploads (owner);
  CREATE INDEX uploads_expires ON uploads (expires_at) WHERE expires_at IS NOT NULL;
  `,
  `
  -- XEP-0191 blocklists: seq keeps the order of blocking within an owner's list
  CREATE TABLE blocklist (
    owner TEXT NOT NULL,
    jid TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (owner, jid)
  ) WITHOUT ROWID;
  `,
  `
  -- XEP-0313 archive (docs/storage.md): id is the sortable archive id (= XEP-0359 stanza-id), so
  -- (owner, id) orders a page; with_bare/with_full serve the §4.1.1 filters, (owner, ts) start/end,
  -- (domain, ts) the retention sweep
  CREATE TABLE archive (
    owner TEXT NOT NULL,
    id TEXT NOT NULL,
    domain TEXT NOT NULL,
    with_bare TEXT NOT NULL,
    with_full TEXT NOT NULL,
    ts INTEGER NOT NULL,
    direction TEXT NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (owner, id)
  ) WITHOUT ROWID;
  CREATE INDEX archive_with_bare ON archive (owner, with_bare, id);
  CREATE INDEX archive_with_full ON archive (owner, with_full, id);
  CREATE INDEX archive_ts ON archive (owner, ts);
  CREATE INDEX archive_retention ON archive (domain, ts);
  CREATE TABLE archive_prefs (owner TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;
  `,
  `
  -- XEP-0357 push registrations: one row per (owner, service, node); seq keeps the order of enabling,
  -- publish_options the client's publish-options form (XML) or NULL
  CREATE TABLE push_registrations (
    owner TEXT NOT NULL,
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    publish_options TEXT,
    enabled_at INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (owner, service, node)
  ) WITHOUT ROWID;
  `,
  `
  -- XEP-0060 / XEP-0163 PubSub (docs/storage.md): service is an account's bare JID (PEP) or
  -- pubsub.<domain>; a node's config, affiliations and subscriptions are JSON in its row; seq orders
  -- items (a republished id takes a new seq: it is the newest)
  CREATE TABLE pubsub_nodes (
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (service, node)
  ) WITHOUT ROWID;
  CREATE TABLE pubsub_items (
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    publisher TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (service, node, id)
  ) WITHOUT ROWID;
  CREATE INDEX pubsub_items_seq ON pubsub_items (service, node, seq);
  `,
  `
  -- XEP-0484 FAST tokens: one row per account and client (user-agent id); data holds
  -- the 'current' and 'next' slots as JSON (hashed keys, never tokens); updated_at orders eviction
  CREATE TABLE fast_tokens (
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account, client)
  ) WITHOUT ROWID;
  `,
  `
  -- XEP-0045 rooms (apps/muc, docs/storage.md): the record as JSON; service/public serve the
  -- room list (disco#items), muc_room_owners the per-user room limit
  CREATE TABLE muc_rooms (
    jid TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    public INTEGER NOT NULL,
    data TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX muc_rooms_service ON muc_rooms (service, public, jid);
  CREATE TABLE muc_room_owners (owner TEXT NOT NULL, room TEXT NOT NULL, PRIMARY KEY (owner, room)) WITHOUT ROWID;
  CREATE INDEX muc_room_owners_room ON muc_room_owners (room);
  `,
  `
  -- XEP-0313 archive, cheaper appends (two per message; docs/performance.md, "Message archive"):
  -- a rowid table, so a batch of appends from many owners adds rows at the table's end instead of
  -- into as many leaf pages of an (owner, id) tree holding whole messages; (owner, id) is a unique
  -- index (pages, idempotent appends). No (owner, with_full, id) index: a full-JID 'with' (rare)
  -- is served by archive_with_bare plus a filter. Each index costs every append a page or more.
  CREATE TABLE archive_rows (
    owner TEXT NOT NULL,
    id TEXT NOT NULL,
    domain TEXT NOT NULL,
    with_bare TEXT NOT NULL,
    with_full TEXT NOT NULL,
    ts INTEGER NOT NULL,
    direction TEXT NOT NULL,
    xml TEXT NOT NULL
  );
  INSERT INTO archive_rows (owner, id, domain, with_bare, with_full, ts, direction, xml)
    SELECT owner, id, domain, with_bare, with_full, ts, direction, xml FROM archive ORDER BY id;
  DROP TABLE archive;
  ALTER TABLE archive_rows RENAME TO archive;
  CREATE UNIQUE INDEX archive_owner_id ON archive (owner, id);
  CREATE INDEX archive_with_bare ON archive (owner, with_bare, id);
  CREATE INDEX archive_ts ON archive (owner, ts);
  CREATE INDEX archive_retention ON archive (domain, ts);
  `,
];
