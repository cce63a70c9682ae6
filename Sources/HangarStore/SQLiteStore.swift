import Foundation
import GRDB

/// The default store: one SQLite file (WAL) in the data directory, migrated on open.
public final class SQLiteStore: HangarStore {
    let db: any DatabaseWriter
    /// Where the database lives; nil for an in-memory store.
    public let path: String?

    /// Opens (creating if needed) `<directory>/hangar.sqlite` and migrates it.
    public convenience init(directory: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unavailable, operation: "create data directory", detail: "\(directory): \(error.localizedDescription)")
        }
        try self.init(path: (directory as NSString).appendingPathComponent("hangar.sqlite"))
    }

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws(StoreError) {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            db = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError(.unavailable, operation: "open \(path)", detail: "\(error)")
        }
        self.path = path
        try migrate()
    }

    /// A private in-memory database (tests, `hangar stdio` without a data directory).
    public init() throws(StoreError) {
        do {
            db = try DatabaseQueue()
        } catch {
            throw StoreError(.unavailable, operation: "open in-memory database", detail: "\(error)")
        }
        path = nil
        try migrate()
    }

    private func migrate() throws(StoreError) {
        do {
            try Self.migrator.migrate(db)
        } catch {
            throw StoreError(.unavailable, operation: "migrate", detail: "\(error)")
        }
    }

    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await db.write(body)
        } catch {
            throw Self.mapped(error, operation: operation)
        }
    }

    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await db.read(body)
        } catch {
            throw Self.mapped(error, operation: operation)
        }
    }

    static func mapped(_ error: any Error, operation: String) -> StoreError {
        if let e = error as? StoreError { return e }
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_CONSTRAINT: return StoreError(.conflict, operation: operation, detail: e.message ?? "constraint")
            case .SQLITE_ABORT: return StoreError(.refused, operation: operation, detail: e.message ?? "aborted")
            default: return StoreError(.failed, operation: operation, detail: e.message ?? "\(e.resultCode)")
            }
        }
        return StoreError(.failed, operation: operation, detail: "\(error)")
    }
}

// MARK: - Keys

extension SQLiteStore {
    public func insertKey(_ key: APIKeyRecord) async throws(StoreError) {
        try await write("insert key") { db in
            try db.execute(sql: """
                INSERT INTO api_keys (id, name, role, prefix, hash, created_ms, last_used_ms, revoked_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [key.id, key.name, key.role, key.prefix, key.hash, key.createdMs, key.lastUsedMs, key.revokedMs])
        }
    }

    public func keys() async throws(StoreError) -> [APIKeyRecord] {
        try await read("list keys") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_ms, id").map(Self.key(from:))
        }
    }

    public func key(prefix: String) async throws(StoreError) -> APIKeyRecord? {
        try await read("find key") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE prefix = ?", arguments: [prefix]).map(Self.key(from:))
        }
    }

    public func revokeKey(id: String, atMs: Int64) async throws(StoreError) -> Bool {
        try await write("revoke key") { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL", arguments: [atMs, id])
            return db.changesCount > 0
        }
    }

    public func touchKeys(_ lastUsed: [String: Int64]) async throws(StoreError) {
        guard !lastUsed.isEmpty else { return }
        try await write("touch keys") { db in
            for (id, at) in lastUsed {
                try db.execute(sql: "UPDATE api_keys SET last_used_ms = max(coalesce(last_used_ms, 0), ?) WHERE id = ?", arguments: [at, id])
            }
        }
    }

    static func key(from row: Row) -> APIKeyRecord {
        APIKeyRecord(id: row["id"], name: row["name"], role: row["role"], prefix: row["prefix"], hash: row["hash"],
                     createdMs: row["created_ms"], lastUsedMs: row["last_used_ms"], revokedMs: row["revoked_ms"])
    }
}

// MARK: - Secrets

extension SQLiteStore {
    public func putSecret(_ secret: SecretRecord) async throws(StoreError) {
        try await write("store secret") { db in
            try db.execute(sql: """
                INSERT INTO secrets (name, sealed, created_ms, updated_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET sealed = excluded.sealed, updated_ms = excluded.updated_ms
                """, arguments: [secret.name, Data(secret.sealed), secret.createdMs, secret.updatedMs])
        }
    }

    public func secret(named name: String) async throws(StoreError) -> SecretRecord? {
        try await read("read secret") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM secrets WHERE name = ?", arguments: [name]).map(Self.secret(from:))
        }
    }

    public func secrets() async throws(StoreError) -> [SecretRecord] {
        try await read("list secrets") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM secrets ORDER BY name").map(Self.secret(from:))
        }
    }

    public func deleteSecret(named name: String) async throws(StoreError) -> Bool {
        try await write("delete secret") { db in
            try db.execute(sql: "DELETE FROM secrets WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    public func replaceSecrets(_ secrets: [SecretRecord], settings: [String: String]) async throws(StoreError) {
        try await write("replace secrets") { db in
            try db.execute(sql: "DELETE FROM secrets")
            for s in secrets {
                try db.execute(sql: "INSERT INTO secrets (name, sealed, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
                               arguments: [s.name, Data(s.sealed), s.createdMs, s.updatedMs])
            }
            for (k, v) in settings {
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [k, v])
            }
        }
    }

    static func secret(from row: Row) -> SecretRecord {
        let sealed: Data = row["sealed"]
        return SecretRecord(name: row["name"], sealed: Array(sealed), createdMs: row["created_ms"], updatedMs: row["updated_ms"])
    }
}

// MARK: - Audit

extension SQLiteStore {
    public func appendAudit(_ records: [AuditRecord], settings: [String: String]) async throws(StoreError) {
        guard !records.isEmpty || !settings.isEmpty else { return }
        try await write("append audit") { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO audit (seq, at_ms, identity, action, target, outcome, latency_us, args_hash, detail, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in records {
                try insert.execute(arguments: [r.seq, r.atMs, r.identity, r.action, r.target, r.outcome, r.latencyMicros,
                                               r.argumentsHash, r.detail, r.prevHash, r.hash])
            }
            for (key, value) in settings { try Self.setSetting(key, value, in: db) }
        }
    }

    public func lastAudit() async throws(StoreError) -> AuditRecord? {
        try await read("read audit") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit ORDER BY seq DESC LIMIT 1").map(Self.audit(from:))
        }
    }

    public func auditRecords(_ query: AuditQuery) async throws(StoreError) -> [AuditRecord] {
        try await read("query audit") { db in
            var clauses: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let v = query.identity { clauses.append("identity = ?"); args.append(v) }
            if let v = query.action { clauses.append("action = ?"); args.append(v) }
            if let v = query.target { clauses.append("target = ?"); args.append(v) }
            if let v = query.outcome { clauses.append("outcome = ?"); args.append(v) }
            if let v = query.sinceMs { clauses.append("at_ms >= ?"); args.append(v) }
            if let v = query.untilMs { clauses.append("at_ms < ?"); args.append(v) }
            let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            args.append(max(1, min(query.limit, 10_000)))
            return try Row.fetchAll(db, sql: "SELECT * FROM audit \(whereSQL) ORDER BY seq DESC LIMIT ?",
                                    arguments: StatementArguments(args)).map(Self.audit(from:))
        }
    }

    public func auditChain(after seq: Int64, limit: Int) async throws(StoreError) -> [AuditRecord] {
        try await read("read audit chain") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit])
                .map(Self.audit(from:))
        }
    }

    static func audit(from row: Row) -> AuditRecord {
        AuditRecord(seq: row["seq"], atMs: row["at_ms"], identity: row["identity"], action: row["action"], target: row["target"],
                    outcome: row["outcome"], latencyMicros: row["latency_us"], argumentsHash: row["args_hash"],
                    detail: row["detail"], prevHash: row["prev_hash"], hash: row["hash"])
    }
}

// MARK: - Pins and settings

extension SQLiteStore {
    public func pinFingerprints() async throws(StoreError) -> [ToolPinRecord] {
        try await read("list pins") { db in
            try Row.fetchAll(db, sql: """
                SELECT server, tool, pinned_hash, status, current_hash, first_seen_ms, changed_ms,
                  CASE WHEN status = 'pinned' THEN '' ELSE pinned_definition END AS pinned_definition,
                  CASE WHEN status = 'pinned' THEN NULL ELSE current_definition END AS current_definition
                FROM tool_pins ORDER BY server, tool
                """).map(Self.pinRecord)
        }
    }

    public func pin(server: String, tool: String) async throws(StoreError) -> ToolPinRecord? {
        try await read("read pin") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tool_pins WHERE server = ? AND tool = ?", arguments: [server, tool]).map(Self.pinRecord)
        }
    }

    private static func pinRecord(_ row: Row) -> ToolPinRecord {
        ToolPinRecord(server: row["server"], tool: row["tool"], pinnedHash: row["pinned_hash"],
                      pinnedDefinition: row["pinned_definition"],
                      status: ToolPinRecord.Status(rawValue: row["status"]) ?? .drifted,
                      currentHash: row["current_hash"], currentDefinition: row["current_definition"],
                      firstSeenMs: row["first_seen_ms"], changedMs: row["changed_ms"])
    }

    public func upsertPin(_ pin: ToolPinRecord) async throws(StoreError) {
        try await write("store pin") { db in
            try db.execute(sql: """
                INSERT INTO tool_pins (server, tool, pinned_hash, pinned_definition, status, current_hash, current_definition, first_seen_ms, changed_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(server, tool) DO UPDATE SET pinned_hash = excluded.pinned_hash,
                  pinned_definition = excluded.pinned_definition, status = excluded.status,
                  current_hash = excluded.current_hash, current_definition = excluded.current_definition,
                  changed_ms = excluded.changed_ms
                """, arguments: [pin.server, pin.tool, pin.pinnedHash, pin.pinnedDefinition, pin.status.rawValue,
                                 pin.currentHash, pin.currentDefinition, pin.firstSeenMs, pin.changedMs])
        }
    }

    public func setting(_ key: String) async throws(StoreError) -> String? {
        try await read("read setting") { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
        }
    }

    public func setSetting(_ key: String, _ value: String?) async throws(StoreError) {
        try await write("store setting") { db in try Self.setSetting(key, value, in: db) }
    }

    /// Sets or (with nil) removes one setting, with statements prepared once per connection.
    private static func setSetting(_ key: String, _ value: String?, in db: Database) throws {
        if let value {
            try db.cachedStatement(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .execute(arguments: [key, value])
        } else {
            try db.cachedStatement(sql: "DELETE FROM settings WHERE key = ?").execute(arguments: [key])
        }
    }
}

// MARK: - Workloads

extension SQLiteStore {
    public func workloads() async throws(StoreError) -> [WorkloadRecord] {
        try await read("list workloads") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM workloads ORDER BY created_ms, name").map(Self.workload(from:))
        }
    }

    public func workload(named name: String) async throws(StoreError) -> WorkloadRecord? {
        try await read("read workload") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM workloads WHERE name = ?", arguments: [name]).map(Self.workload(from:))
        }
    }

    static func workload(from row: Row) -> WorkloadRecord {
        WorkloadRecord(name: row["name"], spec: row["spec"], running: row["running"], expiresMs: row["expires_ms"],
                       tokenPrefix: row["token_prefix"], tokenHash: row["token_hash"],
                       createdMs: row["created_ms"], updatedMs: row["updated_ms"])
    }

    public func putWorkload(_ w: WorkloadRecord) async throws(StoreError) {
        try await write("store workload") { db in
            try db.execute(sql: """
                INSERT INTO workloads (name, spec, running, expires_ms, token_prefix, token_hash, created_ms, updated_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, running = excluded.running,
                  expires_ms = excluded.expires_ms, token_prefix = excluded.token_prefix, token_hash = excluded.token_hash,
                  updated_ms = excluded.updated_ms
                """, arguments: [w.name, w.spec, w.running, w.expiresMs, w.tokenPrefix, w.tokenHash, w.createdMs, w.updatedMs])
        }
    }

    public func deleteWorkload(named name: String) async throws(StoreError) -> Bool {
        try await write("delete workload") { db in
            try db.execute(sql: "DELETE FROM workloads WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }
}
