import Foundation
import HangarCore
@testable import HangarPolicy
import HangarStore
import Synchronization
import Testing

@Suite struct AuditLogTests {
    static func filled(_ count: Int) async throws -> (SQLiteStore, AuditLog, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-audit-\(UUID().uuidString)").path
        let store = try SQLiteStore(directory: dir)
        let log = try await AuditLog.open(store: store)
        for i in 0..<count {
            log.record(AuditEntry(identity: "key:k\(i % 3)", action: "tools/call", target: "t\(i % 2)", outcome: i == 2 ? "denied" : "ok",
                                  latencyMicros: Int64(i), arguments: AuditArguments(hash: AuditLog.argumentsHash(["i": .int(Int64(i))]))))
        }
        try await log.flush()
        return (store, log, dir + "/hangar.sqlite")
    }

    @Test func recordsAreChainedQueryableAndVerify() async throws {
        let (_, log, _) = try await Self.filled(5)
        #expect(try await log.query(AuditQuery(identity: "key:k0")).map(\.seq) == [4, 1])
        #expect(try await log.query(AuditQuery(outcome: "denied")).map(\.target) == ["t0"])
        let v = try await log.verify()
        #expect(v.isIntact && v.checked == 5)
    }

    @Test func stoppingTheWriterMidStreamLosesNoRecord() async throws {
        let store = try SQLiteStore()
        let log = try await AuditLog.open(store: store, interval: .milliseconds(1))
        let writer = Task { await log.run() }
        for i in 0..<20_000 {
            log.record(AuditEntry(identity: "local", action: "tools/call", target: "t", outcome: "ok", latencyMicros: Int64(i)))
            if i == 10_000 { writer.cancel() }
        }
        await writer.value
        try await log.flush()
        #expect(try await store.auditChain(after: 0, limit: 100_000).count == 20_000)
        #expect(try await log.verify().isIntact)
    }

    /// The writer sleeps while nothing is recorded; the first entry after a write wakes it,
    /// and it writes that entry (with whatever came meanwhile) one interval later, unasked.
    @Test func aLoneEntryReachesTheStoreWithoutAFlush() async throws {
        let store = try SQLiteStore()
        let log = try await AuditLog.open(store: store, interval: .milliseconds(20))
        let writer = Task { await log.run() }
        defer { writer.cancel() }
        for round in 1...2 {
            log.record(AuditEntry(identity: "local", action: "tools/call", target: "t\(round)", outcome: "ok", latencyMicros: 1))
            let deadline = ContinuousClock.now + .seconds(10)
            var written = 0
            while written < round, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
                written = try await store.auditChain(after: 0, limit: 10).count
            }
            #expect(written == round, "entry \(round) was not written without a flush")
        }
    }

    @Test func theArgumentsHashIgnoresKeyOrderAndNeverHoldsValues() {
        let a = AuditLog.argumentsHash(["x": 1, "y": "secret"])
        #expect(a == AuditLog.argumentsHash(["y": "secret", "x": 1]))
        #expect(a.count == 64 && !a.contains("secret"))
        #expect(a != AuditLog.argumentsHash(["x": 2, "y": "secret"]))
    }

    /// Small arguments wait in the queue and are hashed by the writer; large ones are hashed
    /// when the entry is made. Either way the stored record holds the same hash, never the values.
    @Test func deferredAndImmediateArgumentHashesAreStoredAlike() async throws {
        let small: JSONValue = ["y": "secret", "x": 1]
        let large: JSONValue = ["blob": .string(String(repeating: "s", count: AuditArguments.deferredLimit))]
        let store = try SQLiteStore()
        let log = try await AuditLog.open(store: store)
        for value in [small, large] {
            log.record(AuditEntry(identity: "local", action: "tools/call", target: "t", outcome: "ok",
                                  arguments: AuditArguments(value, byteCount: JSONWriter.byteCount(value))))
        }
        let records = try await log.query(AuditQuery())
        #expect(records.map(\.argumentsHash) == [AuditLog.argumentsHash(large), AuditLog.argumentsHash(small)])
        #expect(records.allSatisfy { !$0.argumentsHash.contains("secret") && $0.argumentsHash.count == 64 })
        #expect(try await log.verify().isIntact)
    }

    /// A store that refuses appends until `down` is false; everything else goes to SQLite.
    final class FlakyStore: AuditStore, SettingsStore {
        let base: SQLiteStore
        let down = Mutex(true)
        init(_ base: SQLiteStore) { self.base = base }
        func appendAudit(_ records: [AuditRecord], settings: [String: String]) async throws(StoreError) {
            if down.withLock({ $0 }) { throw StoreError(.unavailable, operation: "append audit", detail: "disk gone") }
            try await base.appendAudit(records, settings: settings)
        }
        func lastAudit() async throws(StoreError) -> AuditRecord? { try await base.lastAudit() }
        func auditRecords(_ query: AuditQuery) async throws(StoreError) -> [AuditRecord] { try await base.auditRecords(query) }
        func auditChain(after seq: Int64, limit: Int) async throws(StoreError) -> [AuditRecord] { try await base.auditChain(after: seq, limit: limit) }
        func setting(_ key: String) async throws(StoreError) -> String? { try await base.setting(key) }
        func setSetting(_ key: String, _ value: String?) async throws(StoreError) { try await base.setSetting(key, value) }
    }

    /// A batch the store refuses stays queued, its arguments reduced to their hash, and is
    /// written with the right hash once the store is back.
    @Test func aRefusedBatchIsKeptHashedAndWrittenLater() async throws {
        let store = FlakyStore(try SQLiteStore())
        let log = try await AuditLog.open(store: store)
        let arguments: JSONValue = ["path": "/etc/hosts"]
        let deferred = AuditArguments(arguments, byteCount: JSONWriter.byteCount(arguments))
        #expect(deferred.isDeferred && !deferred.hashed.isDeferred && deferred.hashed.hash == deferred.hash)
        log.record(AuditEntry(identity: "local", action: "tools/call", target: "t", outcome: "ok", arguments: deferred))
        await #expect(throws: StoreError.self) { try await log.flush() }
        #expect(log.queuedArgumentsDeferred == 0, "a refused batch keeps hashes, not values")
        store.down.withLock { $0 = false }
        let records = try await log.query(AuditQuery())
        #expect(records.map(\.argumentsHash) == [AuditLog.argumentsHash(arguments)])
        #expect(try await log.verify().isIntact)
    }

    /// The hashes are part of the stored chain: the same input must give the same hex forever,
    /// or records written by an earlier version stop verifying. Expected values from Python:
    /// sha256 of `json.dumps(v, sort_keys=True, separators=(',',':'), ensure_ascii=False)`, and
    /// of the fields each written as `len:bytes`.
    @Test func theHashesKeepTheirStoredForm() async throws {
        let nested: JSONValue = ["b": [1, ["z": true, "a": .null]], "a": "é\n"]
        #expect(String(decoding: JSONWriter.sortedBytes(nested), as: UTF8.self) == #"{"a":"é\n","b":[1,{"a":null,"z":true}]}"#)
        #expect(AuditLog.argumentsHash(nested) == "235d01be7e603f73465188e7e540d782e05639e6131df9d993389482ef4c5121")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-audit-\(UUID().uuidString)").path
        let log = try await AuditLog.open(store: try SQLiteStore(directory: dir))
        log.record(AuditEntry(atMs: 1_700_000_000_000, identity: "key:k1", action: "tools/call", target: "t", outcome: "ok",
                              latencyMicros: 42, arguments: AuditArguments(hash: "ab"), detail: "d"))
        let records = try await log.query(AuditQuery())
        #expect(records.map(\.hash) == ["5af2e68e158758a186cc5912123bb9f7ba29a7153270fab376f32725e7b1e681"])
    }

    /// An attacker with the database file edits, deletes or appends records by hand
    /// (dropping the append-only triggers first); verify names the first bad record.
    @Test(arguments: [
        ("UPDATE audit SET outcome = 'ok' WHERE seq = 3", Int64(3)),
        ("DELETE FROM audit WHERE seq = 2", Int64(2)),
        ("DELETE FROM audit WHERE seq = 5", Int64(5)),
        ("UPDATE audit SET hash = 'x' || hash WHERE seq = 4", Int64(4)),
    ])
    func tamperingIsDetected(_ sql: String, _ brokenAt: Int64) async throws {
        let (_, _, path) = try await Self.filled(5)
        try await Self.sqlite(path, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; \(sql);")
        let reopened = try await AuditLog.open(store: try SQLiteStore(path: path))
        let v = try await reopened.verify()
        #expect(!v.isIntact)
        #expect(v.brokenAt == brokenAt, "\(v.problem ?? "")")
    }

    @Test func theStoreRefusesEditsWhileTheTriggersStand() async throws {
        let (_, _, path) = try await Self.filled(2)
        await #expect(throws: (any Error).self) { try await Self.sqlite(path, "UPDATE audit SET outcome = 'ok' WHERE seq = 1;") }
    }

    /// Runs SQL with the sqlite3 library directly, as someone with the file would.
    static func sqlite(_ path: String, _ sql: String) async throws {
        try await RawSQLite.execute(path: path, sql: sql)
    }
}
