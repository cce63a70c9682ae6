import Crypto
import HangarStore
import Synchronization

/// API keys: created with a role, shown once, stored as a SHA-256 hash under a short public
/// prefix, revocable, with a last-used time. Authentication is an in-memory lookup; last-used
/// times are written back in batches (`flushUsage`).
///
/// A key reads `hk_<8 prefix characters>_<32 secret characters>` (base62, ~190 bits of secret).
public final class APIKeyring: Sendable {
    private let store: any KeyStore
    private struct State {
        var byPrefix: [String: APIKeyRecord] = [:]
        var used: [String: Int64] = [:]
    }
    private let state = Mutex(State())

    private init(store: any KeyStore, records: [APIKeyRecord]) {
        self.store = store
        state.withLock { s in
            for r in records where r.revokedMs == nil { s.byPrefix[r.prefix] = r }
        }
    }

    /// Loads the keys of `store`.
    public static func load(from store: any KeyStore) async throws(StoreError) -> APIKeyring {
        APIKeyring(store: store, records: try await store.keys())
    }

    /// A new key. The returned `key` is the only time the secret exists outside its holder.
    public func create(name: String, role: Role, nowMs: Int64 = WallClock.milliseconds()) async throws -> (record: APIKeyRecord, key: String) {
        guard !name.isEmpty, name.count <= 100 else { throw PolicyError(.invalid, "a key name must have 1 to 100 characters") }
        let prefix = "hk_" + Self.randomBase62(8)
        let key = prefix + "_" + Self.randomBase62(32)
        let record = APIKeyRecord(id: "key_" + Self.randomBase62(10).lowercased(), name: name, role: role.rawValue,
                                  prefix: prefix, hash: Self.hash(key), createdMs: nowMs)
        try await store.insertKey(record)
        state.withLock { $0.byPrefix[prefix] = record }
        return (record, key)
    }

    /// Every key, revoked ones included, with last-used times as recorded so far.
    public func list() async throws -> [APIKeyRecord] {
        try await flushUsage()
        return try await store.keys()
    }

    /// Revokes a key by id; it stops working at once. False when there is no such live key.
    public func revoke(id: String, nowMs: Int64 = WallClock.milliseconds()) async throws -> Bool {
        let revoked = try await store.revokeKey(id: id, atMs: nowMs)
        state.withLock { s in
            if let prefix = s.byPrefix.first(where: { $0.value.id == id })?.key { s.byPrefix.removeValue(forKey: prefix) }
        }
        return revoked
    }

    /// The identity a presented key stands for, or an `.unauthenticated` error that does not
    /// say whether the prefix exists.
    public func authenticate(_ presented: String, nowMs: Int64 = WallClock.milliseconds()) throws(PolicyError) -> Identity {
        let parts = presented.utf8
        guard parts.count == 3 + 8 + 1 + 32, presented.hasPrefix("hk_") else {
            throw PolicyError(.unauthenticated, "malformed API key")
        }
        let prefix = String(presented.prefix(11))
        let record = state.withLock { $0.byPrefix[prefix] }
        guard let record, Self.constantTimeEqual(Self.hash(presented), record.hash), let role = Role(rawValue: record.role) else {
            throw PolicyError(.unauthenticated, "invalid or revoked API key")
        }
        state.withLock { $0.used[record.id] = nowMs }
        return Identity(kind: .apiKey, id: record.id, role: role)
    }

    /// Writes pending last-used times to the store.
    public func flushUsage() async throws {
        let used = state.withLock { s in
            defer { s.used = [:] }
            return s.used
        }
        try await store.touchKeys(used)
    }

    /// Hex SHA-256 of a credential (keys and instance tokens are stored only this way).
    public static func digest(_ credential: String) -> String { hash(credential) }

    /// A credential compared in constant time with a stored digest.
    public static func matches(_ credential: String, digest: String) -> Bool { constantTimeEqual(hash(credential), digest) }

    /// Random base62 text from the system's cryptographic generator.
    public static func randomText(_ count: Int) -> String { randomBase62(count) }

    static func hash(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).hexString
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Uniform base62 from the system's cryptographic generator.
    static func randomBase62(_ count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let byte = UInt8.random(in: 0...255, using: &rng)
            if byte < 248 { out.append(alphabet[Int(byte) % 62]) }  // 248 = 4 × 62: no modulo bias
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256Digest {
    /// Lowercase hex, written straight into the string's storage: one allocation.
    var hexString: String {
        withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (i, b) in bytes.enumerated() {
                    out[2 * i] = hexDigit(b >> 4)
                    out[2 * i + 1] = hexDigit(b & 0xF)
                }
                return bytes.count * 2
            }
        }
    }
}

private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

/// Wall-clock milliseconds, the time unit of stored records.
public enum WallClock {
    public static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
