import Foundation
import HangarStore
import Testing

/// The behaviour every store implementation must have. Each test runs against every
/// implementation in `StoreKind`; a PostgreSQL store joins by adding a case.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqliteFile, sqliteMemory

    var testDescription: String { rawValue }

    func make() throws -> any HangarStore {
        switch self {
        case .sqliteFile:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-store-\(UUID().uuidString)").path
            return try SQLiteStore(directory: dir)
        case .sqliteMemory:
            return try SQLiteStore()
        }
    }
}

@Suite struct StoreConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func keysAreFoundByPrefixAndRevokedOnce(kind: StoreKind) async throws {
        let store = try kind.make()
        let key = APIKeyRecord(id: "key_1", name: "ci", role: "user", prefix: "hk_abc", hash: "h1", createdMs: 1)
        try await store.insertKey(key)
        #expect(try await store.key(prefix: "hk_abc") == key)
        #expect(try await store.key(prefix: "hk_zzz") == nil)
        await #expect(throws: StoreError.self) {
            try await store.insertKey(APIKeyRecord(id: "key_2", name: "dup", role: "user", prefix: "hk_abc", hash: "h2", createdMs: 2))
        }
        try await store.touchKeys(["key_1": 50])
        try await store.touchKeys(["key_1": 40])  // an older touch never moves last-used back
        #expect(try await store.key(prefix: "hk_abc")?.lastUsedMs == 50)
        #expect(try await store.revokeKey(id: "key_1", atMs: 60))
        #expect(try await !store.revokeKey(id: "key_1", atMs: 70))
        #expect(try await store.keys().map(\.revokedMs) == [60])
    }

    @Test(arguments: StoreKind.allCases)
    func secretsUpsertListAndReplace(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putSecret(SecretRecord(name: "b", sealed: [1, 2, 3], createdMs: 1, updatedMs: 1))
        try await store.putSecret(SecretRecord(name: "a", sealed: [4], createdMs: 2, updatedMs: 2))
        try await store.putSecret(SecretRecord(name: "b", sealed: [9], createdMs: 5, updatedMs: 5))
        #expect(try await store.secrets().map(\.name) == ["a", "b"])
        let b = try #require(try await store.secret(named: "b"))
        #expect(b.sealed == [9] && b.createdMs == 1 && b.updatedMs == 5)
        try await store.replaceSecrets([SecretRecord(name: "c", sealed: [7], createdMs: 3, updatedMs: 3)], settings: ["vault.hint": "wxyz"])
        #expect(try await store.secrets().map(\.name) == ["c"])
        #expect(try await store.setting("vault.hint") == "wxyz")
        #expect(try await store.deleteSecret(named: "c"))
        #expect(try await !store.deleteSecret(named: "c"))
    }

    @Test(arguments: StoreKind.allCases)
    func auditIsAppendOnlyAndQueryable(kind: StoreKind) async throws {
        let store = try kind.make()
        var records: [AuditRecord] = []
        for i in 1...5 {
            let seq = Int64(i)
            let identity = i % 2 == 0 ? "key:a" : "local"
            let outcome = i == 3 ? "denied" : "ok"
            records.append(AuditRecord(seq: seq, atMs: seq * 1000, identity: identity, action: "tools/call", target: "t\(i % 2)",
                                       outcome: outcome, latencyMicros: 10, argumentsHash: "x", detail: "", prevHash: "p\(i)", hash: "h\(i)"))
        }
        try await store.appendAudit(records, settings: [:])
        #expect(try await store.lastAudit()?.seq == 5)
        #expect(try await store.auditRecords(AuditQuery(identity: "key:a")).map(\.seq) == [4, 2])
        #expect(try await store.auditRecords(AuditQuery(outcome: "denied")).map(\.seq) == [3])
        #expect(try await store.auditRecords(AuditQuery(sinceMs: 3000, untilMs: 5000)).map(\.seq) == [4, 3])
        #expect(try await store.auditRecords(AuditQuery(limit: 2)).map(\.seq) == [5, 4])
        #expect(try await store.auditChain(after: 2, limit: 2).map(\.seq) == [3, 4])
        // A record with a used sequence number is refused: nothing overwrites the log.
        await #expect(throws: StoreError.self) { try await store.appendAudit([records[0]], settings: [:]) }
    }

    /// A batch goes in whole and in order, with the settings given beside it; a refused batch
    /// changes neither records nor settings.
    @Test(arguments: StoreKind.allCases)
    func anAuditBatchAndItsHeadAreOneTransaction(kind: StoreKind) async throws {
        let store = try kind.make()
        func record(_ seq: Int64) -> AuditRecord {
            AuditRecord(seq: seq, atMs: seq, identity: "local", action: "tools/call", target: "t\(seq % 3)", outcome: "ok",
                        latencyMicros: seq, argumentsHash: "a\(seq)", detail: seq == 7 ? "it's \"quoted\"" : "",
                        prevHash: "p\(seq)", hash: "h\(seq)")
        }
        let batch = (1...150).map { record(Int64($0)) }
        try await store.appendAudit(batch, settings: ["audit.head": "150:h150"])
        #expect(try await store.auditChain(after: 0, limit: 1000) == batch)
        #expect(try await store.setting("audit.head") == "150:h150")

        // Record 151 is new but 150 is taken: the whole batch is refused, and the head stays.
        await #expect(throws: StoreError.self) {
            try await store.appendAudit([record(151), record(150)], settings: ["audit.head": "151:h151"])
        }
        #expect(try await store.lastAudit()?.seq == 150)
        #expect(try await store.setting("audit.head") == "150:h150")
    }

    @Test(arguments: StoreKind.allCases)
    func pinsAndSettingsRoundTrip(kind: StoreKind) async throws {
        let store = try kind.make()
        var pin = ToolPinRecord(server: "git", tool: "status", pinnedHash: "aa", pinnedDefinition: "{}", status: .pinned, firstSeenMs: 1)
        try await store.upsertPin(pin)
        pin.status = .drifted
        pin.currentHash = "bb"
        pin.currentDefinition = #"{"description":"new"}"#
        pin.changedMs = 9
        try await store.upsertPin(pin)
        #expect(try await store.pin(server: "git", tool: "status") == pin)
        // Fingerprints keep a drifted pin whole and an undrifted one without its definitions.
        let steady = ToolPinRecord(server: "git", tool: "log", pinnedHash: "cc", pinnedDefinition: #"{"name":"log"}"#, status: .pinned, firstSeenMs: 2)
        try await store.upsertPin(steady)
        var lean = steady
        lean.pinnedDefinition = ""
        #expect(try await store.pinFingerprints() == [lean, pin])
        #expect(try await store.pin(server: "git", tool: "log") == steady)
        #expect(try await store.pin(server: "git", tool: "none") == nil)
        #expect(try await store.setting("x") == nil)
        try await store.setSetting("x", "1")
        #expect(try await store.setting("x") == "1")
        try await store.setSetting("x", nil)
        #expect(try await store.setting("x") == nil)
    }
}

extension StoreConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func workloadsKeepTheirDesiredState(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putWorkload(WorkloadRecord(name: "b", spec: "{}", running: true, createdMs: 2, updatedMs: 2))
        try await store.putWorkload(WorkloadRecord(name: "a", spec: "{}", running: true, expiresMs: 99, tokenPrefix: "hi_x", tokenHash: "h",
                                                   createdMs: 1, updatedMs: 1))
        try await store.putWorkload(WorkloadRecord(name: "b", spec: #"{"x":1}"#, running: false, createdMs: 5, updatedMs: 5))
        let all = try await store.workloads()
        #expect(all.map(\.name) == ["a", "b"])
        #expect(all[1].running == false && all[1].spec == #"{"x":1}"# && all[1].createdMs == 2)
        #expect(all[0].expiresMs == 99 && all[0].tokenPrefix == "hi_x" && all[0].tokenHash == "h")
        #expect(try await store.workload(named: "b") == all[1])
        #expect(try await store.workload(named: "zz") == nil)
        #expect(try await store.deleteWorkload(named: "a"))
        #expect(try await !store.deleteWorkload(named: "a"))
    }
}

@Suite struct SQLiteStoreTests {
    @Test func dataSurvivesReopening() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-store-\(UUID().uuidString)").path
        do {
            let store = try SQLiteStore(directory: dir)
            try await store.setSetting("k", "v")
        }
        let again = try SQLiteStore(directory: dir)
        #expect(try await again.setting("k") == "v")
    }

    @Test func unopenablePathIsAClearError() throws {
        #expect {
            _ = try SQLiteStore(path: "/proc/hangar-cannot-be-here/hangar.sqlite")
        } throws: { error in
            (error as? StoreError)?.code == .unavailable
        }
    }
}
