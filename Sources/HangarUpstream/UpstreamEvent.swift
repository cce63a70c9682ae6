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
