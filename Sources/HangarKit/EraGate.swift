import HangarCore

/// Decides, per request, which protocol era and version a server answers in, and keeps the
/// little state the legacy handshake leaves behind. Pure: no I/O, tested on its own.
struct EraGate: Sendable {
    /// How one request is served.
    enum Served: Sendable, Hashable {
        case modern(String)
        case legacy(String)

        var version: String {
            switch self {
            case .modern(let v), .legacy(let v): return v
            }
        }
        var isModern: Bool {
            if case .modern = self { return true }
            return false
        }
    }

    let supported: [String]
    let modernVersions: [String]
    let legacyVersions: [String]
    /// The legacy version agreed by the last `initialize`, if any.
    private(set) var negotiated: String?
    /// Whether the client has sent `notifications/initialized`.
    private(set) var initializedNotified = false

    init(supported: [String]) {
        self.supported = supported
        self.modernVersions = supported.filter { ProtocolVersion.era(of: $0) == .modern }
        self.legacyVersions = supported.filter { ProtocolVersion.era(of: $0) == .legacy }
    }

    var speaksModern: Bool { !modernVersions.isEmpty }
    var speaksLegacy: Bool { !legacyVersions.isEmpty }

    /// JSON-RPC batches are answered only when the session negotiated 2025-03-26 or earlier.
    var allowsBatches: Bool { negotiated.map(ProtocolVersion.allowsBatches) ?? false }

    /// An `initialize` request: agree on a legacy version, or refuse if we speak none.
    mutating func initialize(requested: String?) -> Result<String, JSONRPCError> {
        guard let newest = legacyVersions.first else {
            let list = supported.joined(separator: ", ")
            return .failure(JSONRPCError(
                .unsupportedProtocolVersion,
                "Unsupported protocol version: this server does not use the initialize handshake; it supports \(list)",
                data: ["supported": .array(supported.map { .string($0) }), "requested": requested.map { .string($0) } ?? .null]))
        }
        let version = requested.flatMap { legacyVersions.contains($0) ? $0 : nil } ?? newest
        negotiated = version
        initializedNotified = false
        return .success(version)
    }

    mutating func initializedReceived() {
        initializedNotified = true
    }

    /// Any request but `initialize`: which era answers it, or the error that refuses it.
    /// `metaVersion` is `params._meta["io.modelcontextprotocol/protocolVersion"]`.
    func serve(method: String, metaVersion: String?) -> Result<Served, JSONRPCError> {
        if speaksModern, let metaVersion {
            if modernVersions.contains(metaVersion) { return .success(.modern(metaVersion)) }
            if legacyVersions.contains(metaVersion) { return .success(.legacy(metaVersion)) }
            return .failure(unsupported(metaVersion))
        }
        if method == MCPMethod.discover {
            guard let newest = modernVersions.first else { return .failure(Self.legacyInvalidRequest) }
            return .success(.modern(newest))
        }
        if let negotiated { return .success(.legacy(negotiated)) }
        if !speaksModern {
            // An mcp 1.x server refuses everything but ping before the handshake.
            if method == MCPMethod.ping, let newest = legacyVersions.first { return .success(.legacy(newest)) }
            return .failure(Self.legacyInvalidRequest)
        }
        // No version and no handshake: be lenient and answer in the oldest-compatible way.
        if let newest = legacyVersions.first { return .success(.legacy(newest)) }
        return .success(.modern(modernVersions[0]))
    }

    func unsupported(_ requested: String) -> JSONRPCError {
        JSONRPCError(
            .unsupportedProtocolVersion, "Unsupported protocol version",
            data: ["supported": .array(supported.map { .string($0) }), "requested": .string(requested)])
    }

    /// What mcp 1.x answers to a request it cannot validate (or one sent before `initialize`).
    static let legacyInvalidRequest = JSONRPCError(.invalidParams, "Invalid request parameters")
}
