import HangarCore

/// Something an upstream told us outside a request's answer.
public enum UpstreamEvent: Sendable {
    case toolsChanged
    case promptsChanged
    case resourcesChanged
    case resourceUpdated(uri: String, params: JSONValue?)
    /// A `notifications/message` log entry.
    case log(JSONValue?)
    /// Connected (after a start or a restart) with this era and version.
    case connected(era: ProtocolEra, version: String)
    case disconnected(reason: String)
}

/// Receives the notifications related to one in-flight request (progress, log messages).
public typealias RequestNotificationSink = @Sendable (_ method: String, _ params: JSONValue?) -> Void

/// Answers a request the upstream sends while one of ours is in flight (elicitation, sampling,
/// roots): the gateway asks the client that made our request.
public typealias ServerRequestHandler = @Sendable (_ method: String, _ params: JSONValue?) async -> Result<JSONValue, JSONRPCError>

extension UpstreamEvent {
    /// The event a server notification stands for, if it is about the server as a whole
    /// (list changes, resource updates, log messages); nil for request-related ones like progress.
    init?(notification note: JSONRPCMessage.Notification) {
        switch note.method {
        case MCPMethod.toolsListChanged: self = .toolsChanged
        case MCPMethod.promptsListChanged: self = .promptsChanged
        case MCPMethod.resourcesListChanged: self = .resourcesChanged
        case MCPMethod.resourceUpdated:
            guard let uri = note.params?["uri"]?.stringValue else { return nil }
            self = .resourceUpdated(uri: uri, params: note.params)
        case MCPMethod.message: self = .log(note.params)
        default: return nil
        }
    }
}
