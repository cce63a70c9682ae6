import GRDB

extension SQLiteStore {
    /// Versioned schema changes, applied in order on open. Never edit a shipped migration:
    /// add the next one.
    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1-policy") { db in
            try db.execute(sql: """
                CREATE TABLE api_keys (
                  id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
                  prefix TEXT NOT NULL UNIQUE, hash TEXT NOT NULL,
                  created_ms INTEGER NOT NULL, last_used_ms INTEGER, revoked_ms INTEGER);
                CREATE TABLE secrets (
                  name TEXT PRIMARY KEY, sealed BLOB NOT NULL,
                  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
                CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE audit (
                  seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, identity TEXT NOT NULL,
                  action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL,
                  latency_us INTEGER NOT NULL, args_hash TEXT NOT NULL, detail TEXT NOT NULL,
                  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                CREATE INDEX audit_identity ON audit(identity, seq);
                CREATE INDEX audit_target ON audit(target, seq);
                CREATE INDEX audit_at ON audit(at_ms);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TABLE tool_pins (
                  server TEXT NOT NULL, tool TEXT NOT NULL,
                  pinned_hash TEXT NOT NULL, pinned_definition TEXT NOT NULL, status TEXT NOT NULL,
                  current_hash TEXT, current_definition TEXT,
                  first_seen_ms INTEGER NOT NULL, changed_ms INTEGER,
                  PRIMARY KEY (server, tool));
                """)
        }
        m.registerMigration("v2-workloads") { db in
            try db.execute(sql: """
                CREATE TABLE workloads (
                  name TEXT PRIMARY KEY, spec TEXT NOT NULL, running INTEGER NOT NULL,
                  expires_ms INTEGER, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
                """)
        }
        m.registerMigration("v3-instance-tokens") { db in
            try db.execute(sql: """
                ALTER TABLE workloads ADD COLUMN token_prefix TEXT;
                ALTER TABLE workloads ADD COLUMN token_hash TEXT;
                """)
        }
        m.registerMigration("v4-catalog") { db in
            // Rating sums and install counts live on the entry so sorting by them needs no join;
            // catalog_fts rows share their rowid with catalog_entries.id.
            try db.execute(sql: """
                CREATE TABLE catalog_entries (
                  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, version TEXT NOT NULL, title TEXT NOT NULL,
                  description TEXT NOT NULL, document TEXT NOT NULL, categories TEXT NOT NULL, tags TEXT NOT NULL,
                  tool_text TEXT NOT NULL, transport TEXT NOT NULL, featured INTEGER NOT NULL, source TEXT NOT NULL,
                  published_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
                  rating_sum INTEGER NOT NULL DEFAULT 0, rating_count INTEGER NOT NULL DEFAULT 0,
                  installs INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX catalog_entries_updated ON catalog_entries(updated_ms);
                CREATE INDEX catalog_entries_installs ON catalog_entries(installs);
                CREATE INDEX catalog_entries_featured ON catalog_entries(featured, installs);
                CREATE VIRTUAL TABLE catalog_fts USING fts5(name, title, description, tools, tags,
                  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
                INSERT INTO catalog_fts(catalog_fts, rank) VALUES('rank', 'bm25(10.0, 6.0, 1.0, 3.0, 4.0)');
                CREATE TABLE catalog_labels (
                  kind TEXT NOT NULL, value TEXT NOT NULL, entry_id INTEGER NOT NULL,
                  PRIMARY KEY (kind, value, entry_id)) WITHOUT ROWID;
                CREATE INDEX catalog_labels_entry ON catalog_labels(entry_id);
                CREATE TABLE catalog_ratings (
                  entry TEXT NOT NULL, identity TEXT NOT NULL, stars INTEGER NOT NULL, review TEXT NOT NULL,
                  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (entry, identity));
                CREATE TABLE catalog_install_events (
                  seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, identity TEXT NOT NULL, at_ms INTEGER NOT NULL);
                CREATE INDEX catalog_install_events_at ON catalog_install_events(at_ms, entry);
                CREATE TABLE catalog_installs (
                  server TEXT PRIMARY KEY, entry TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL,
                  config TEXT NOT NULL, consent_identity TEXT NOT NULL, consent_ms INTEGER NOT NULL,
                  domains TEXT NOT NULL, folders TEXT NOT NULL);
                CREATE INDEX catalog_installs_entry ON catalog_installs(entry);
                """)
        }
        m.registerMigration("v5-catalog-tombstones") { db in
            // A deleted entry's name, last version and document, served by the v0 API as
            // status "deleted" to registries syncing with updated_since.
            try db.execute(sql: """
                CREATE TABLE catalog_tombstones (
                  name TEXT PRIMARY KEY, version TEXT NOT NULL, document TEXT NOT NULL, source TEXT NOT NULL,
                  deleted_ms INTEGER NOT NULL);
                CREATE INDEX catalog_tombstones_deleted ON catalog_tombstones(deleted_ms);
                CREATE INDEX catalog_entries_source ON catalog_entries(source);
                """)
        }
        return m
    }()
}
