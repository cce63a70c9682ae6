import HangarCore
import HangarPolicy

/// The downstream side of one request: which era and version the client speaks, and where
/// notifications related to the request (progress, log messages) go.
public struct RequestContext: Sendable {
    public var era: ProtocolEra
    public var protocolVersion: String
    /// Sends a notification to the client on this request's channel; nil when there is none.
    public var notify: (@Sendable (JSONRPCMessage.Notification) -> Void)?
    /// Who is asking, as authentication established.
    public var identity: Identity
    /// An instance endpoint (`/i/NAME/mcp`): only this server's tools, prompts and resources.
    public var server: String?

    public init(era: ProtocolEra, protocolVersion: String, identity: Identity = .localAdmin, server: String? = nil,
                notify: (@Sendable (JSONRPCMessage.Notification) -> Void)? = nil) {
        self.era = era
        self.protocolVersion = protocolVersion
        self.identity = identity
        self.server = server
        self.notify = notify
    }
}

extension RequestContext {
    /// Whether this request may see what `server` offers (every server, outside an instance endpoint).
    public func sees(_ server: String) -> Bool { self.server == nil || self.server == server }
}

/// A change downstream clients may be told about.
public enum CatalogChange: Sendable, Hashable {
    case tools, prompts, resources
    case resourceUpdated(uri: String)

    public var notificationMethod: String {
        switch self {
        case .tools: return MCPMethod.toolsListChanged
        case .prompts: return MCPMethod.promptsListChanged
        case .resources: return MCPMethod.resourcesListChanged
        case .resourceUpdated: return MCPMethod.resourceUpdated
        }
    }

    /// The key of a `subscriptions/listen` filter that asks for this change.
    public var filterKey: String {
        switch self {
        case .tools: return "toolsListChanged"
        case .prompts: return "promptsListChanged"
        case .resources: return "resourcesListChanged"
        case .resourceUpdated: return "resourceSubscriptions"
        }
    }
}
