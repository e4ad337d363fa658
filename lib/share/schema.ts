/**
 * The share registry's SQLite schema and its migrations. Versions are recorded per
 * component in `schema_version`, so a later catalog can live in the same database file.
 * Migrations only ever move forward; a database from a newer release is refused.
 * @module
 */
import type { Database } from '../sqlite'

import { SchemaVersionError } from '../errors'

/** The component name this module records in `schema_version`. */
export const COMPONENT = 'share'

/** Migration `i` takes the schema from version `i` to `i + 1`. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE shares (
    id             TEXT PRIMARY KEY,
    session        TEXT NOT NULL,
    scope          TEXT NOT NULL CHECK (scope IN ('preview', 'full')),
    verifier       BLOB NOT NULL CHECK (length(verifier) = 32),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoke_reason  TEXT,
    password_hash  TEXT,
    max_downloads  INTEGER CHECK (max_downloads IS NULL OR max_downloads > 0),
    download_count INTEGER NOT NULL DEFAULT 0,
    label          TEXT NOT NULL DEFAULT '',
    recipient      TEXT NOT NULL DEFAULT '',
    last_access_at INTEGER
  ) STRICT;
  CREATE INDEX shares_session ON shares (session);
  CREATE INDEX shares_expires ON shares (expires_at);

  CREATE TABLE share_items (
    share_id TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    idx      INTEGER NOT NULL,
    path     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('preview', 'full')),
    PRIMARY KEY (share_id, idx),
    UNIQUE (share_id, path)
  ) STRICT;

  -- Append-only: no foreign key, so the trail outlives purged shares and records probes
  -- of ids that never existed.
  CREATE TABLE share_access_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    share_id TEXT NOT NULL,
    at       INTEGER NOT NULL,
    event    TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    item     TEXT,
    bytes    INTEGER,
    remote   TEXT
  ) STRICT;
  CREATE INDEX share_access_log_share ON share_access_log (share_id, at);
  CREATE TRIGGER share_access_log_no_update BEFORE UPDATE ON share_access_log
    BEGIN SELECT RAISE(ABORT, 'share_access_log is append-only'); END;
  CREATE TRIGGER share_access_log_no_delete BEFORE DELETE ON share_access_log
    BEGIN SELECT RAISE(ABORT, 'share_access_log is append-only'); END;
  `,
  // 2: retention. Rows may be deleted only below a recorded cutoff that never moves back,
  // so pruning removes the oldest part of the trail as a whole and never a chosen row.
  `
  CREATE TABLE share_access_log_pruned (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    before INTEGER NOT NULL
  ) STRICT;
  INSERT INTO share_access_log_pruned (id, before) VALUES (1, 0);
  CREATE TRIGGER share_access_log_pruned_forward BEFORE UPDATE ON share_access_log_pruned
    WHEN NEW.before < OLD.before
    BEGIN SELECT RAISE(ABORT, 'the access log prune cutoff only moves forward'); END;
  CREATE TRIGGER share_access_log_pruned_no_delete BEFORE DELETE ON share_access_log_pruned
    BEGIN SELECT RAISE(ABORT, 'the access log prune cutoff cannot be deleted'); END;
  DROP TRIGGER share_access_log_no_delete;
  CREATE TRIGGER share_access_log_no_delete BEFORE DELETE ON share_access_log
    WHEN OLD.at >= (SELECT before FROM share_access_log_pruned WHERE id = 1)
    BEGIN SELECT RAISE(ABORT, 'share_access_log is append-only; only rows older than the prune cutoff can be deleted (pruneAccessLog)'); END;
  CREATE INDEX share_access_log_at ON share_access_log (at);
  `,
  // 3: download limits count bytes sent per item (ranges and connections add up), and
  // refusals that cost no work are logged as one line per minute with a count. A share
  // counted per request before keeps that count as every item's deliveries (never more
  // allowed than before).
  `
  ALTER TABLE share_items ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 0 CHECK (deliveries >= 0);
  ALTER TABLE share_items ADD COLUMN carry_bytes INTEGER NOT NULL DEFAULT 0 CHECK (carry_bytes >= 0);
  UPDATE share_items SET deliveries = (SELECT download_count FROM shares WHERE shares.id = share_items.share_id);
  ALTER TABLE share_access_log ADD COLUMN count INTEGER CHECK (count IS NULL OR count > 0);
  `,
  // 4: recipient-bound links (#22). The people a link is for, by e-mail address, each
  // revocable alone; the one-time sign-in codes mailed to them (only a keyed hash of each
  // code is kept); and which recipient each access-log line is about.
  `
  CREATE TABLE share_recipients (
    share_id      TEXT NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    address       TEXT NOT NULL,
    added_at      INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT,
    PRIMARY KEY (share_id, id),
    UNIQUE (share_id, address)
  ) STRICT;
  CREATE TABLE share_signin_codes (
    share_id     TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    code_mac     BLOB NOT NULL CHECK (length(code_mac) = 32),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    FOREIGN KEY (share_id, recipient_id) REFERENCES share_recipients (share_id, id) ON DELETE CASCADE
  ) STRICT;
  CREATE INDEX share_signin_codes_recipient ON share_signin_codes (share_id, recipient_id, expires_at);
  ALTER TABLE share_access_log ADD COLUMN recipient TEXT;
  `,
]

/** The schema version this release writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

/**
 * Brings `db` up to {@link SCHEMA_VERSION} in one transaction.
 *
 * @example
 * ```ts
 * migrate(openDatabase('shares.db'), 'shares.db')
 * ```
 */
export function migrate(db: Database, path: string): void {
  db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT',
    )
    const row = db.prepare('SELECT version FROM schema_version WHERE component = ?').get(COMPONENT) as
      { version: number } | undefined
    const current = row?.version ?? 0
    if (current > SCHEMA_VERSION) {
      throw new SchemaVersionError(
        `${path} holds share registry schema version ${current}, newer than this Shutterproof understands (${SCHEMA_VERSION}); upgrade Shutterproof`,
        { path },
      )
    }
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!)
    db.prepare(
      'INSERT INTO schema_version (component, version) VALUES (?, ?) ON CONFLICT (component) DO UPDATE SET version = excluded.version',
    ).run(COMPONENT, SCHEMA_VERSION)
  }).immediate()
}
