import Crypto
import Foundation
import HangarStore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Secrets sealed with AES-256-GCM (a fresh random 96-bit nonce per encryption, the secret's
/// name as authenticated data) under one master key. The master key comes from
/// `HANGAR_MASTER_KEY` (base64 or hex of 32 bytes) or from `<dataDir>/master.key`, created
/// with mode 0600 on first start. Only the key's hint (its last 4 characters) is ever shown.
public final class SecretVault: Sendable {
    public static let environmentVariable = "HANGAR_MASTER_KEY"
    static let hintSetting = "vault.keyHint"

    /// Where the master key came from.
    public enum KeySource: Sendable, Hashable {
        case environment
        case file(String)
    }

    private let store: any SecretStore & SettingsStore
    public let source: KeySource
    private struct State {
        var key: SymmetricKey
        var hint: String
        /// Plaintexts, kept for redaction and launch-time resolution.
        var values: [String: String]
    }
    private let state: Mutex<State>

    private init(store: any SecretStore & SettingsStore, source: KeySource, key: SymmetricKey, hint: String, values: [String: String]) {
        self.store = store
        self.source = source
        state = Mutex(State(key: key, hint: hint, values: values))
    }

    /// The four characters that identify the master key in use.
    public var keyHint: String { state.withLock { $0.hint } }

    /// Opens the vault: finds or creates the master key, checks it is the one the stored
    /// secrets were sealed with, and opens them.
    public static func open(store: any SecretStore & SettingsStore, dataDirectory: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> SecretVault {
        let (encoded, source) = try masterKey(dataDirectory: dataDirectory, environment: environment)
        let key = try decodeKey(encoded, from: source)
        let hint = String(encoded.trimmingCharacters(in: CharacterSet(charactersIn: "=")).suffix(4))
        let records = try await store.secrets()
        if let stored = try await store.setting(hintSetting), stored != hint, !records.isEmpty {
            throw PolicyError(.secretUnavailable,
                              "the master key (hint …\(hint)) is not the one the \(records.count) stored secrets were sealed with (hint …\(stored)); restore that key in \(describe(source))")
        }
        if try await store.setting(hintSetting) == nil { try await store.setSetting(hintSetting, hint) }
        var values: [String: String] = [:]
        for record in records {
            values[record.name] = try unseal(record, key: key)
        }
        return SecretVault(store: store, source: source, key: key, hint: hint, values: values)
    }

    /// Names of the stored secrets with their times; never values.
    public func list() async throws -> [SecretRecord] {
        try await store.secrets()
    }

    /// Stores (or replaces) a secret.
    public func set(_ name: String, value: String, nowMs: Int64 = WallClock.milliseconds()) async throws {
        try Self.checkName(name)
        guard !value.isEmpty else { throw PolicyError(.invalid, "secret \(name): the value is empty") }
        let key = state.withLock { $0.key }
        let sealed = try Self.seal(value, name: name, key: key)
        let existing = try await store.secret(named: name)
        try await store.putSecret(SecretRecord(name: name, sealed: sealed, createdMs: existing?.createdMs ?? nowMs, updatedMs: nowMs))
        state.withLock { $0.values[name] = value }
    }

    /// Removes a secret; false when there was none.
    public func remove(_ name: String) async throws -> Bool {
        let removed = try await store.deleteSecret(named: name)
        _ = state.withLock { $0.values.removeValue(forKey: name) }
        return removed
    }

    /// The plaintext of a secret, for launch- or request-time resolution only.
    public func value(of name: String) -> String? {
        state.withLock { $0.values[name] }
    }

    /// Every plaintext (for the redactor).
    public var values: [String: String] { state.withLock { $0.values } }

    /// Makes a new master key, re-encrypts every secret under it in one transaction, and
    /// replaces the key file. Returns the new hint. Only for a key that lives in a file: a key
    /// given through the environment must be changed there.
    public func rotateKey() async throws -> String {
        guard case .file(let path) = source else {
            throw PolicyError(.invalid, "the master key comes from \(Self.environmentVariable); rotating it means setting a new value there, which Hangar cannot do")
        }
        let (values, oldKey) = state.withLock { ($0.values, $0.key) }
        _ = oldKey
        let newBytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let encoded = Data(newBytes).base64EncodedString()
        let newKey = SymmetricKey(data: newBytes)
        let hint = String(encoded.trimmingCharacters(in: CharacterSet(charactersIn: "=")).suffix(4))
        let now = WallClock.milliseconds()
        var records: [SecretRecord] = []
        for existing in try await store.secrets() {
            guard let plain = values[existing.name] else { continue }
            records.append(SecretRecord(name: existing.name, sealed: try Self.seal(plain, name: existing.name, key: newKey),
                                        createdMs: existing.createdMs, updatedMs: now))
        }
        // The new key is written beside the old one first; a crash before the rename leaves the
        // store readable with `master.key.new` (adopted by the next `open`).
        let pending = path + ".new"
        try Self.writeKeyFile(pending, encoded)
        try await store.replaceSecrets(records, settings: [Self.hintSetting: hint])
        guard rename(pending, path) == 0 else {
            throw PolicyError(.internalFailure, "could not replace \(path) with the new master key (errno \(errno)); the new key is in \(pending)")
        }
        state.withLock { s in
            s.key = newKey
            s.hint = hint
        }
        return hint
    }

    // MARK: - Key handling

    static func masterKey(dataDirectory: String?, environment: [String: String]) throws -> (String, KeySource) {
        if let value = environment[environmentVariable], !value.isEmpty {
            return (value.trimmingCharacters(in: .whitespacesAndNewlines), .environment)
        }
        guard let dir = dataDirectory else {
            throw PolicyError(.secretUnavailable, "no master key: set \(environmentVariable) or give Hangar a data directory")
        }
        let path = (dir as NSString).appendingPathComponent("master.key")
        let pending = path + ".new"
        if FileManager.default.fileExists(atPath: pending) {
            // A rotation stopped between writing the new key and renaming it.
            if FileManager.default.fileExists(atPath: path) {
                try? FileManager.default.moveItem(atPath: path, toPath: path + ".old")
            }
            try? FileManager.default.moveItem(atPath: pending, toPath: path)
        }
        if let data = FileManager.default.contents(atPath: path) {
            var st = stat()
            if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
                throw PolicyError(.secretUnavailable, "\(path) is readable by other users (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
            }
            return (String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), .file(path))
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let encoded = Data(bytes).base64EncodedString()
        try writeKeyFile(path, encoded)
        return (encoded, .file(path))
    }

    static func writeKeyFile(_ path: String, _ encoded: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PolicyError(.secretUnavailable, "cannot create \(path) (errno \(errno))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let bytes = Array((encoded + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw PolicyError(.secretUnavailable, "cannot write \(path) (errno \(errno))") }
    }

    static func decodeKey(_ encoded: String, from source: KeySource) throws -> SymmetricKey {
        if let data = Data(base64Encoded: encoded), data.count == 32 { return SymmetricKey(data: data) }
        if encoded.count == 64, let bytes = hexBytes(encoded) { return SymmetricKey(data: bytes) }
        throw PolicyError(.secretUnavailable, "the master key in \(describe(source)) is not 32 bytes in base64 or hex")
    }

    static func describe(_ source: KeySource) -> String {
        switch source {
        case .environment: return environmentVariable
        case .file(let path): return path
        }
    }

    static func hexBytes(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        var it = s.utf8.makeIterator()
        while let hi = it.next(), let lo = it.next() {
            guard let h = hexValue(hi), let l = hexValue(lo) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func checkName(_ name: String) throws {
        let ok = !name.isEmpty && name.count <= 128 && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D || c == 0x2E
        }
        guard ok else { throw PolicyError(.invalid, "a secret name has 1 to 128 letters, digits, '_', '-' or '.'") }
    }

    // MARK: - Sealing

    static func seal(_ value: String, name: String, key: SymmetricKey) throws -> [UInt8] {
        do {
            let box = try AES.GCM.seal(Array(value.utf8), using: key, nonce: AES.GCM.Nonce(), authenticating: Array(name.utf8))
            guard let combined = box.combined else { throw PolicyError(.internalFailure, "sealing failed") }
            return Array(combined)
        } catch let e as PolicyError {
            throw e
        } catch {
            throw PolicyError(.internalFailure, "sealing secret \(name) failed")
        }
    }

    static func unseal(_ record: SecretRecord, key: SymmetricKey) throws -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: record.sealed)
            let plain = try AES.GCM.open(box, using: key, authenticating: Array(record.name.utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw PolicyError(.secretUnavailable, "secret \(record.name) cannot be opened with this master key (it was altered, or sealed under another key)")
        }
    }
}
