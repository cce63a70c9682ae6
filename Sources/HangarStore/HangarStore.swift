/// Everything Hangar keeps across restarts, one protocol per concern. `SQLiteStore` implements
/// them all; another backend (PostgreSQL) implements the same protocols and must pass the same
/// conformance suite (`Tests/HangarStoreTests`).
public typealias HangarStore = KeyStore & SecretStore & AuditStore & PinStore & SettingsStore & WorkloadStore & CatalogStore

/// API keys: only a hash of each key is kept, found by its public prefix.
public protocol KeyStore: Sendable {
    func insertKey(_ key: APIKeyRecord) async throws(StoreError)
    func keys() async throws(StoreError) -> [APIKeyRecord]
    func key(prefix: String) async throws(StoreError) -> APIKeyRecord?
    /// Marks a key revoked; false when no such key exists (or it was already revoked).
    func revokeKey(id: String, atMs: Int64) async throws(StoreError) -> Bool
    /// Records when keys were last used (batched by the caller).
    func touchKeys(_ lastUsed: [String: Int64]) async throws(StoreError)
}

/// Encrypted secrets; the store never sees a plaintext.
public protocol SecretStore: Sendable {
    func putSecret(_ secret: SecretRecord) async throws(StoreError)
    func secret(named name: String) async throws(StoreError) -> SecretRecord?
    func secrets() async throws(StoreError) -> [SecretRecord]
    func deleteSecret(named name: String) async throws(StoreError) -> Bool
    /// Replaces every secret and the given settings in one transaction (key rotation).
    func replaceSecrets(_ secrets: [SecretRecord], settings: [String: String]) async throws(StoreError)
}

/// The append-only audit log.
public protocol AuditStore: Sendable {
    /// Appends records whose `seq` the caller assigned, in order, and sets `settings`, all in
    /// one transaction: the log's head moves with its records.
    func appendAudit(_ records: [AuditRecord], settings: [String: String]) async throws(StoreError)
    func lastAudit() async throws(StoreError) -> AuditRecord?
    /// Records matching the query, newest first.
    func auditRecords(_ query: AuditQuery) async throws(StoreError) -> [AuditRecord]
    /// Records in chain order with `seq > after`, at most `limit` (for verification).
    func auditChain(after seq: Int64, limit: Int) async throws(StoreError) -> [AuditRecord]
}

/// First-seen tool definitions, for drift detection.
public protocol PinStore: Sendable {
    /// Every pin without the definitions an undrifted pin does not need in memory: the pinned
    /// and current definitions are read only for drifted pins, the rest get empty ones.
    func pinFingerprints() async throws(StoreError) -> [ToolPinRecord]
    /// One pin, whole.
    func pin(server: String, tool: String) async throws(StoreError) -> ToolPinRecord?
    func upsertPin(_ pin: ToolPinRecord) async throws(StoreError)
}

/// Small named values (the vault's key hint, schema versions of other parts).
public protocol SettingsStore: Sendable {
    func setting(_ key: String) async throws(StoreError) -> String?
    func setSetting(_ key: String, _ value: String?) async throws(StoreError)
}

/// Hosted servers as the user asked for them: the spec (JSON) and whether it should run, so a
/// restarted daemon brings back what ran.
public protocol WorkloadStore: Sendable {
    func workloads() async throws(StoreError) -> [WorkloadRecord]
    func workload(named name: String) async throws(StoreError) -> WorkloadRecord?
    func putWorkload(_ workload: WorkloadRecord) async throws(StoreError)
    func deleteWorkload(named name: String) async throws(StoreError) -> Bool
}
