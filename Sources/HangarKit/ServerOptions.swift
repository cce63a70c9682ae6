import HangarCore

/// How an `MCPServer` behaves on the wire: which protocol versions it speaks, how it pages
/// lists and which cache hints it gives modern clients.
public struct ServerOptions: Sendable {
    /// Protocol versions the server accepts, newest first. Leave out the modern version for a
    /// legacy-only server (it then rejects `server/discover` and requests before `initialize`
    /// like an mcp 1.x server); leave out every legacy version for a modern-only one.
    public var supportedVersions: [String]
    /// Items per page of `tools/list`, `resources/list`, `resources/templates/list` and
    /// `prompts/list`; `nil` sends every item in one page.
    public var pageSize: Int?
    /// `ttlMs` given on modern cacheable results: how long a client may reuse them.
    public var cacheTTLMs: Int
    /// `cacheScope` given on modern cacheable results.
    public var cacheScope: CacheScope
    /// Limits on incoming messages; a line over them is answered with a parse error.
    public var limits: JSONLimits

    public init(
        supportedVersions: [String] = ProtocolVersion.supported,
        pageSize: Int? = nil,
        cacheTTLMs: Int = 0,
        cacheScope: CacheScope = .public,
        limits: JSONLimits = .default
    ) {
        self.supportedVersions = supportedVersions
        self.pageSize = pageSize.map { max(1, $0) }
        self.cacheTTLMs = max(0, cacheTTLMs)
        self.cacheScope = cacheScope
        self.limits = limits
    }

    /// Speaks only the `initialize`-handshake versions, like an mcp 1.x server.
    public static let legacyOnly = ServerOptions(supportedVersions: ProtocolVersion.legacyVersions)
    /// Speaks only the modern, handshake-free version.
    public static let modernOnly = ServerOptions(supportedVersions: [ProtocolVersion.modern])

    /// Who may share a cached result (the `cacheScope` of a modern result).
    public enum CacheScope: String, Sendable {
        case `public`
        case `private`
    }
}
