import HangarCore
import HangarPolicy
import HangarStore
import Logging
import Synchronization

/// The policy plane as the gateway uses it: one object holding every check a tool call goes
/// through, built from the `policy` config and the store.
public final class PolicyPlane: Sendable {
    public let config: PolicyConfig
    public let store: (any HangarStore)?
    public let keyring: APIKeyring?
    public let vault: SecretVault?
    public let audit: AuditLog?
    public let pinning: ToolPinning?
    public let tokens: TokenVerifier?
    public let limiter: RateLimiter
    private let redactorBox: Mutex<Redactor>

    private init(config: PolicyConfig, store: (any HangarStore)?, keyring: APIKeyring?, vault: SecretVault?, audit: AuditLog?,
                 pinning: ToolPinning?, tokens: TokenVerifier?) {
        self.config = config
        self.store = store
        self.keyring = keyring
        self.vault = vault
        self.audit = audit
        self.pinning = pinning
        self.tokens = tokens
        limiter = RateLimiter(limits: config.rateLimits)
        redactorBox = Mutex(Redactor(secrets: vault?.values ?? [:]))
    }

    /// Permissions and limits only: no keys, secrets, audit or pins (one-shot CLI commands).
    public convenience init(config: PolicyConfig = PolicyConfig()) {
        self.init(config: config, store: nil, keyring: nil, vault: nil, audit: nil, pinning: nil, tokens: nil)
    }

    /// The full plane over a store: keys, vault (master key from the environment or the data
    /// directory), audit log, pins, and the OAuth verifier when configured.
    public static func open(config: PolicyConfig, store: any HangarStore, dataDirectory: String?,
                            jwksLoader: @Sendable (String) async throws -> String = PolicyPlane.readFile) async throws -> PolicyPlane {
        let keyring = try await APIKeyring.load(from: store)
        let vault = try await SecretVault.open(store: store, dataDirectory: dataDirectory)
        let audit = try await AuditLog.open(store: store)
        let pinning = try await ToolPinning.load(mode: config.pinning, store: store)
        var tokens: TokenVerifier?
        if let oauth = config.oauth {
            let hmac = try oauth.hmacSecret.map { text throws(PolicyError) in try SecretReference.resolve(text) { vault.value(of: $0) } }
            var jwks: String?
            if let source = oauth.jwks { jwks = try await jwksLoader(source) }
            tokens = try await TokenVerifier(settings: oauth, hmacSecret: hmac, jwksJSON: jwks)
        }
        return PolicyPlane(config: config, store: store, keyring: keyring, vault: vault, audit: audit, pinning: pinning, tokens: tokens)
    }

    @Sendable public static func readFile(_ path: String) async throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw PolicyError(.invalid, "cannot read \(path)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Background work: audit batches and key last-used times, until cancelled.
    public func run(logger: Logger) async {
        guard let audit else { return }
        await withDiscardingTaskGroup { group in
            group.addTask {
                await audit.run { error in logger.error("audit write failed: \(error)") }
            }
            if let keyring {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(5))
                        do { try await keyring.flushUsage() } catch { logger.warning("recording key use failed: \(error)") }
                    }
                }
            }
        }
    }

    /// Redacts every known secret value.
    public var redactor: Redactor { redactorBox.withLock { $0 } }

    /// Audits an entry, its detail redacted.
    public func record(_ entry: AuditEntry) {
        guard let audit else { return }
        var entry = entry
        if !entry.detail.isEmpty { entry.detail = redactor.redact(entry.detail) }
        audit.record(entry)
    }

    // MARK: Secrets (kept here so the redactor follows every change)

    public func setSecret(_ name: String, value: String, by identity: Identity) async throws {
        guard let vault else { throw PolicyError(.secretUnavailable, "this process has no secrets vault") }
        try await vault.set(name, value: value)
        redactorBox.withLock { $0 = Redactor(secrets: vault.values) }
        record(AuditEntry(identity: identity.name, action: "admin.secrets.set", target: name, outcome: "ok"))
    }

    public func removeSecret(_ name: String, by identity: Identity) async throws -> Bool {
        guard let vault else { throw PolicyError(.secretUnavailable, "this process has no secrets vault") }
        let removed = try await vault.remove(name)
        redactorBox.withLock { $0 = Redactor(secrets: vault.values) }
        record(AuditEntry(identity: identity.name, action: "admin.secrets.remove", target: name, outcome: removed ? "ok" : "not_found"))
        return removed
    }

    /// Resolves `${secret:NAME}` in a launch-time or request-time value, auditing each use.
    public func resolveSecrets(_ text: String, for server: String) throws(PolicyError) -> String {
        guard text.contains("${secret:") else { return text }
        guard let vault else { throw PolicyError(.secretUnavailable, "\(server) refers to a secret, but this process has no secrets vault") }
        let resolved = try SecretReference.resolve(text) { vault.value(of: $0) }
        for name in SecretReference.names(in: text) {
            record(AuditEntry(identity: "hangar", action: "secret.use", target: name, outcome: "ok", detail: "server \(server)"))
        }
        return resolved
    }
}

import Foundation
