/// The two eras of MCP: modern (per-request `_meta`, stateless) and legacy (`initialize` handshake).
public enum ProtocolEra: String, Sendable, Hashable {
    case modern
    case legacy
}

/// MCP protocol versions Hangar speaks.
public enum ProtocolVersion {
    public static let modern = "2026-07-28"
    public static let latestLegacy = "2025-11-25"
    /// Every version Hangar accepts, newest first.
    public static let supported = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    public static let modernVersions: Set<String> = ["2026-07-28"]
    public static let legacyVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    public static func era(of version: String) -> ProtocolEra? {
        if modernVersions.contains(version) { return .modern }
        if legacyVersions.contains(version) { return .legacy }
        return nil
    }

    /// JSON-RPC batches were allowed only in 2025-03-26 (and earlier).
    public static func allowsBatches(_ version: String) -> Bool {
        version == "2025-03-26" || version == "2024-11-05"
    }

    /// The legacy version to answer an `initialize` with: the client's if we know it, else our newest.
    public static func negotiateLegacy(_ requested: String?) -> String {
        if let requested, legacyVersions.contains(requested) { return requested }
        return latestLegacy
    }
}

/// `_meta` keys defined by the modern era.
public enum MetaKey {
    public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
    public static let clientInfo = "io.modelcontextprotocol/clientInfo"
    public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
    public static let logLevel = "io.modelcontextprotocol/logLevel"
    public static let serverInfo = "io.modelcontextprotocol/serverInfo"
    public static let subscriptionId = "io.modelcontextprotocol/subscriptionId"
    public static let progressToken = "progressToken"
}

/// MCP method names.
public enum MCPMethod {
    public static let initialize = "initialize"
    public static let initialized = "notifications/initialized"
    public static let ping = "ping"
    public static let discover = "server/discover"
    public static let toolsList = "tools/list"
    public static let toolsCall = "tools/call"
    public static let resourcesList = "resources/list"
    public static let resourceTemplatesList = "resources/templates/list"
    public static let resourcesRead = "resources/read"
    public static let resourcesSubscribe = "resources/subscribe"
    public static let resourcesUnsubscribe = "resources/unsubscribe"
    public static let promptsList = "prompts/list"
    public static let promptsGet = "prompts/get"
    public static let complete = "completion/complete"
    public static let setLogLevel = "logging/setLevel"
    public static let subscriptionsListen = "subscriptions/listen"
    public static let cancelled = "notifications/cancelled"
    public static let progress = "notifications/progress"
    public static let message = "notifications/message"
    public static let toolsListChanged = "notifications/tools/list_changed"
    public static let promptsListChanged = "notifications/prompts/list_changed"
    public static let resourcesListChanged = "notifications/resources/list_changed"
    public static let resourceUpdated = "notifications/resources/updated"
    public static let subscriptionsAcknowledged = "notifications/subscriptions/acknowledged"
    public static let samplingCreateMessage = "sampling/createMessage"
    public static let elicitationCreate = "elicitation/create"
    public static let rootsList = "roots/list"
}
