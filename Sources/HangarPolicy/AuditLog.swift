import Crypto
import HangarCore
import HangarStore
import Synchronization

/// What happened, as the caller knows it; the log adds the sequence number and the chain.
public struct AuditEntry: Sendable, Hashable {
    public var atMs: Int64
    public var identity: String
    public var action: String
    public var target: String
    public var outcome: String
    public var latencyMicros: Int64
    /// The call's arguments, of which the record keeps only the hash.
    public var arguments: AuditArguments?
    public var detail: String

    public init(atMs: Int64 = WallClock.milliseconds(), identity: String, action: String, target: String, outcome: String,
                latencyMicros: Int64 = 0, arguments: AuditArguments? = nil, detail: String = "") {
        self.atMs = atMs
        self.identity = identity
        self.action = action
        self.target = target
        self.outcome = outcome
        self.latencyMicros = latencyMicros
        self.arguments = arguments
        self.detail = detail
    }
}

/// A call's arguments as an audit record keeps them: the SHA-256 of their canonical form
/// (`AuditLog.argumentsHash`). Small arguments are hashed when their entry is written, in a
/// batch and off the call's path; large ones at once, so that queued entries never hold much.
public struct AuditArguments: Sendable, Hashable {
    private enum Form: Sendable, Hashable {
        case value(JSONValue)
        case hash(String)
    }
    private let form: Form

    /// Arguments up to this many bytes serialized wait for the writer to hash them.
    public static let deferredLimit = 4096

    /// `byteCount` is the arguments' serialized length (`JSONWriter.byteCount`), which the
    /// caller has measured for its size limit.
    public init(_ value: JSONValue, byteCount: Int) {
        form = byteCount <= Self.deferredLimit ? .value(value) : .hash(AuditLog.argumentsHash(value))
    }

    /// Arguments known only by their hash.
    public init(hash: String) {
        form = .hash(hash)
    }

    public var hash: String {
        switch form {
        case .value(let value): AuditLog.argumentsHash(value)
        case .hash(let hash): hash
        }
    }

    /// The same arguments, known only by their hash (which is computed now if it was deferred).
    var hashed: AuditArguments {
        if case .hash = form { return self }
        return AuditArguments(hash: hash)
    }

    /// Whether the hash is still to be computed (the values are held until then).
    var isDeferred: Bool {
        if case .value = form { return true }
        return false
    }
}

/// The result of checking the chain.
public struct AuditVerification: Sendable, Hashable {
    public var checked: Int
    /// The first record that does not check out, and why; nil when the chain is intact.
    public var brokenAt: Int64?
    public var problem: String?
    public var isIntact: Bool { brokenAt == nil }
}

/// The append-only audit log. Recording is a non-blocking append to memory; `run()` writes
/// batches to the store, each record chained to the previous one by SHA-256, so an edited,
/// inserted or deleted record breaks `verify()`. The newest (sequence, hash) is kept as the
/// head, so a deleted tail shows too.
public final class AuditLog: Sendable {
    static let headSetting = "audit.head"
    static let genesis = String(repeating: "0", count: 64)

    private let store: any AuditStore & SettingsStore
    private let pending = Mutex<[AuditEntry]>([])
    private let writer: Writer
    /// Wakes the writer: `true` when a batch is full (write now), `false` for the first entry
    /// after a write (write `interval` later, with what came meanwhile). An idle log never wakes.
    private let wake: AsyncStream<Bool>.Continuation
    private let wakeups: AsyncStream<Bool>
    /// Entries are written when this many are pending, or `interval` after the first.
    let batchSize = 256
    /// Each write has a fixed cost well above its per-record cost (a transaction, and the
    /// store's code and data cold in the caches), so the default interval lets a busy gateway
    /// write a few hundred records at a time: with calls one at a time to mcp-server-time through
    /// `hangar stdio`, Hangar's CPU per call was 233 µs at 50 ms, 204 at 250 ms, 199 at 1 s.
    /// Queries, verification and shutdown write what is queued first.
    public static let defaultInterval: Duration = .milliseconds(250)
    let interval: Duration

    private actor Writer {
        var lastSeq: Int64
        var lastHash: String
        init(lastSeq: Int64, lastHash: String) {
            self.lastSeq = lastSeq
            self.lastHash = lastHash
        }

        func write(_ entries: [AuditEntry], to store: any AuditStore & SettingsStore) async throws(StoreError) {
            guard !entries.isEmpty else { return }
            do {
                try await append(entries, to: store)
            } catch where error.code == .conflict {
                // Another process (a `hangar stdio` beside the daemon) appended meanwhile: continue its chain.
                let last = try await store.lastAudit()
                lastSeq = last?.seq ?? 0
                lastHash = last?.hash ?? AuditLog.genesis
                try await append(entries, to: store)
            }
        }

        private func append(_ entries: [AuditEntry], to store: any AuditStore & SettingsStore) async throws(StoreError) {
            var seq = lastSeq, prev = lastHash
            var records: [AuditRecord] = []
            records.reserveCapacity(entries.count)
            for e in entries {
                seq += 1
                var r = AuditRecord(seq: seq, atMs: e.atMs, identity: e.identity, action: e.action, target: e.target,
                                    outcome: e.outcome, latencyMicros: e.latencyMicros, argumentsHash: e.arguments?.hash ?? "",
                                    detail: e.detail, prevHash: prev, hash: "")
                r.hash = AuditLog.chainHash(r)
                prev = r.hash
                records.append(r)
            }
            try await store.appendAudit(records, settings: [AuditLog.headSetting: "\(seq):\(prev)"])
            lastSeq = seq
            lastHash = prev
        }
    }

    private init(store: any AuditStore & SettingsStore, last: AuditRecord?, interval: Duration) {
        self.store = store
        self.interval = interval
        writer = Writer(lastSeq: last?.seq ?? 0, lastHash: last?.hash ?? Self.genesis)
        (wakeups, wake) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
    }

    public static func open(store: any AuditStore & SettingsStore, interval: Duration = defaultInterval) async throws(StoreError) -> AuditLog {
        AuditLog(store: store, last: try await store.lastAudit(), interval: interval)
    }

    /// How many queued entries still hold their arguments' values (for tests).
    var queuedArgumentsDeferred: Int {
        pending.withLock { $0.count { $0.arguments?.isDeferred == true } }
    }

    /// Queues an entry; it reaches the store within `interval` (or at `flush()`).
    public func record(_ entry: AuditEntry) {
        let count = pending.withLock { p in
            p.append(entry)
            return p.count
        }
        if count == 1 { wake.yield(false) } else if count == batchSize { wake.yield(true) }
    }

    /// Writes everything queued so far. Flushes run one at a time (the writer's chain state
    /// must not be read by a second flush while the first awaits the store).
    public func flush() async throws(StoreError) {
        await flushTurn.acquire()
        defer { flushTurn.release() }
        let batch = pending.withLock { p in
            defer { p = [] }
            return p
        }
        do {
            try await writer.write(batch, to: store)
        } catch {
            // Nothing is dropped: the batch goes back in front of what came meanwhile, its
            // arguments reduced to their hashes, so a store that stays down does not keep them.
            let kept = batch.map { entry in
                var entry = entry
                entry.arguments = entry.arguments?.hashed
                return entry
            }
            pending.withLock { $0.insert(contentsOf: kept, at: 0) }
            throw error
        }
    }

    private let flushTurn = AsyncTurn()

    /// Writes batches until cancelled, then writes what is left.
    public func run(onError: @Sendable (StoreError) -> Void = { _ in }) async {
        for await full in wakeups {
            if Task.isCancelled { break }
            if !full { try? await Task.sleep(for: interval) }  // cancelled: write at once
            if let error = await uncancellableFlush() {
                onError(error)
                // The batch went back: try again after `interval`, unless more wakes the writer first.
                if pending.withLock({ !$0.isEmpty }) { wake.yield(false) }
            }
        }
        if let error = await uncancellableFlush() { onError(error) }
    }

    /// A flush in a task of its own, so a shutdown arriving mid-write does not cancel the write.
    private func uncancellableFlush() async -> StoreError? {
        await Task.detached { () -> StoreError? in
            do throws(StoreError) { try await self.flush(); return nil } catch { return error }
        }.value
    }

    /// Records matching `query`, newest first (queued entries are written first).
    public func query(_ query: AuditQuery) async throws(StoreError) -> [AuditRecord] {
        try await flush()
        return try await store.auditRecords(query)
    }

    /// Walks the whole chain: every hash recomputed, every link and sequence number checked,
    /// and the last record compared with the recorded head.
    public func verify() async throws(StoreError) -> AuditVerification {
        try await flush()
        var checked = 0
        var expectedSeq: Int64 = 1
        var prev = Self.genesis
        while true {
            let page = try await store.auditChain(after: expectedSeq - 1, limit: 1000)
            if page.isEmpty { break }
            for r in page {
                if r.seq != expectedSeq {
                    return AuditVerification(checked: checked, brokenAt: expectedSeq, problem: "record \(expectedSeq) is missing")
                }
                if r.prevHash != prev {
                    return AuditVerification(checked: checked, brokenAt: r.seq, problem: "record \(r.seq) does not follow record \(r.seq - 1)")
                }
                if Self.chainHash(r) != r.hash {
                    return AuditVerification(checked: checked, brokenAt: r.seq, problem: "record \(r.seq) was altered")
                }
                prev = r.hash
                expectedSeq += 1
                checked += 1
            }
        }
        if let head = try await store.setting(Self.headSetting), let colon = head.firstIndex(of: ":"),
           let headSeq = Int64(head[..<colon]) {
            if headSeq >= expectedSeq {
                return AuditVerification(checked: checked, brokenAt: expectedSeq, problem: "records \(expectedSeq)…\(headSeq) were deleted")
            }
            let headHash = String(head[head.index(after: colon)...])
            if headSeq == expectedSeq - 1, headSeq > 0, headHash != prev {
                return AuditVerification(checked: checked, brokenAt: headSeq, problem: "record \(headSeq) was replaced")
            }
        }
        return AuditVerification(checked: checked, brokenAt: nil, problem: nil)
    }

    /// SHA-256 over every field but the hash, each length-prefixed so fields cannot run together.
    static func chainHash(_ r: AuditRecord) -> String {
        // All fields go into one buffer, hashed at once: the same bytes as hashing field by field.
        var input: [UInt8] = []
        input.reserveCapacity(256 + r.identity.utf8.count + r.target.utf8.count + r.detail.utf8.count)
        func field(_ s: String) {
            input.append(contentsOf: String(s.utf8.count).utf8)  // a small string: no allocation
            input.append(UInt8(ascii: ":"))
            input.append(contentsOf: s.utf8)
        }
        func number(_ n: Int64) { field(String(n)) }  // up to 15 digits: a small string, no allocation
        number(r.seq)
        number(r.atMs)
        field(r.identity)
        field(r.action)
        field(r.target)
        field(r.outcome)
        number(r.latencyMicros)
        field(r.argumentsHash)
        field(r.detail)
        field(r.prevHash)
        return input.withUnsafeBytes { SHA256.hash(data: $0) }.hexString
    }

    /// Hex SHA-256 of the canonical form of `arguments` (`JSONWriter.sortedBytes`: object keys
    /// sorted, so equal arguments hash alike whatever their key order).
    public static func argumentsHash(_ arguments: JSONValue) -> String {
        JSONWriter.sortedBytes(arguments).withUnsafeBytes { SHA256.hash(data: $0) }.hexString
    }
}

/// A first-come, first-served async lock (no reentrancy): one holder at a time.
final class AsyncTurn: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func acquire() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { s -> Bool in
                if !s.held { s.held = true; return true }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty { s.held = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
