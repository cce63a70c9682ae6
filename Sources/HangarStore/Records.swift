/// One API key as stored: the secret part exists only as a hash.
public struct APIKeyRecord: Sendable, Hashable {
    /// Stable id shown to users (`key_…`), used to revoke.
    public var id: String
    public var name: String
    public var role: String
    /// The public part of the key, unique; finds the record without scanning.
    public var prefix: String
    /// Hex SHA-256 of the whole key.
    public var hash: String
    public var createdMs: Int64
    public var lastUsedMs: Int64?
    public var revokedMs: Int64?

    public init(id: String, name: String, role: String, prefix: String, hash: String, createdMs: Int64,
                lastUsedMs: Int64? = nil, revokedMs: Int64? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.prefix = prefix
        self.hash = hash
        self.createdMs = createdMs
        self.lastUsedMs = lastUsedMs
        self.revokedMs = revokedMs
    }
}

/// One secret: nonce, ciphertext and tag of AES-256-GCM, bound to its name.
public struct SecretRecord: Sendable, Hashable {
    public var name: String
    public var sealed: [UInt8]
    public var createdMs: Int64
    public var updatedMs: Int64

    public init(name: String, sealed: [UInt8], createdMs: Int64, updatedMs: Int64) {
        self.name = name
        self.sealed = sealed
        self.createdMs = createdMs
        self.updatedMs = updatedMs
    }
}

/// One audit entry. `hash` chains it to the previous entry (`prevHash`).
public struct AuditRecord: Sendable, Hashable {
    public var seq: Int64
    public var atMs: Int64
    /// Who: `key:<id>`, `jwt:<subject>`, `local`, `instance:<id>`.
    public var identity: String
    /// What: `tools/call`, `admin.keys.create`, `secret.use`, `policy.drift`, ...
    public var action: String
    /// On what: an exposed tool name, a key id, a secret name.
    public var target: String
    /// `ok`, `error`, `denied`, `limited`, `invalid`.
    public var outcome: String
    public var latencyMicros: Int64
    /// Hex SHA-256 of the canonical arguments; never the values.
    public var argumentsHash: String
    /// A short, redacted explanation (the error message of a failure).
    public var detail: String
    public var prevHash: String
    public var hash: String

    public init(seq: Int64, atMs: Int64, identity: String, action: String, target: String, outcome: String,
                latencyMicros: Int64, argumentsHash: String, detail: String, prevHash: String, hash: String) {
        self.seq = seq
        self.atMs = atMs
        self.identity = identity
        self.action = action
        self.target = target
        self.outcome = outcome
        self.latencyMicros = latencyMicros
        self.argumentsHash = argumentsHash
        self.detail = detail
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// A filter over the audit log; nil fields match everything.
public struct AuditQuery: Sendable, Hashable {
    public var identity: String?
    public var action: String?
    public var target: String?
    public var outcome: String?
    public var sinceMs: Int64?
    public var untilMs: Int64?
    public var limit: Int

    public init(identity: String? = nil, action: String? = nil, target: String? = nil, outcome: String? = nil,
                sinceMs: Int64? = nil, untilMs: Int64? = nil, limit: Int = 100) {
        self.identity = identity
        self.action = action
        self.target = target
        self.outcome = outcome
        self.sinceMs = sinceMs
        self.untilMs = untilMs
        self.limit = limit
    }
}

/// The definition of a tool as first seen from its server, and any drift since.
public struct ToolPinRecord: Sendable, Hashable {
    public enum Status: String, Sendable {
        /// The current definition is the pinned one.
        case pinned
        /// The server now declares a different definition, not yet approved.
        case drifted
    }
    public var server: String
    public var tool: String
    /// Hex SHA-256 of the pinned definition's canonical JSON.
    public var pinnedHash: String
    /// The pinned definition as JSON text.
    public var pinnedDefinition: String
    public var status: Status
    /// The drifted definition (JSON text) and its hash, when status is drifted.
    public var currentHash: String?
    public var currentDefinition: String?
    public var firstSeenMs: Int64
    public var changedMs: Int64?

    public init(server: String, tool: String, pinnedHash: String, pinnedDefinition: String, status: Status,
                currentHash: String? = nil, currentDefinition: String? = nil, firstSeenMs: Int64, changedMs: Int64? = nil) {
        self.server = server
        self.tool = tool
        self.pinnedHash = pinnedHash
        self.pinnedDefinition = pinnedDefinition
        self.status = status
        self.currentHash = currentHash
        self.currentDefinition = currentDefinition
        self.firstSeenMs = firstSeenMs
        self.changedMs = changedMs
    }
}

/// One hosted server's desired state.
public struct WorkloadRecord: Sendable, Hashable {
    public var name: String
    /// The workload spec as JSON (secrets appear only as `${secret:NAME}` references).
    public var spec: String
    /// Should it run (true after start, false after stop).
    public var running: Bool
    /// For instances with a time to live: when it expires (ms since 1970).
    public var expiresMs: Int64?
    /// The instance token's public prefix and SHA-256 (the token itself is shown once).
    public var tokenPrefix: String?
    public var tokenHash: String?
    public var createdMs: Int64
    public var updatedMs: Int64

    public init(name: String, spec: String, running: Bool, expiresMs: Int64? = nil, tokenPrefix: String? = nil, tokenHash: String? = nil,
                createdMs: Int64, updatedMs: Int64) {
        self.name = name
        self.spec = spec
        self.running = running
        self.expiresMs = expiresMs
        self.tokenPrefix = tokenPrefix
        self.tokenHash = tokenHash
        self.createdMs = createdMs
        self.updatedMs = updatedMs
    }
}
