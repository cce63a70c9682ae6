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
        return m
    }()
}
