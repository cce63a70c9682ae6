import HangarCore

/// One `tools/call` as a tool handler sees it. Cancellation arrives as Task cancellation:
/// check `Task.isCancelled` or let `Task.sleep` and friends throw.
public struct ToolCall: Sendable {
    public let name: String
    public let arguments: JSONObject
    /// The JSON-RPC id of the call, for logs.
    public let requestID: RequestID
    /// The protocol version this call is served under.
    public let protocolVersion: String
    /// Reports progress if the client asked for it.
    public let progress: ProgressReporter
    let outlet: NotificationOutlet?

    init(name: String, arguments: JSONObject, requestID: RequestID, protocolVersion: String,
         progress: ProgressReporter, outlet: NotificationOutlet?) {
        self.name = name
        self.arguments = arguments
        self.requestID = requestID
        self.protocolVersion = protocolVersion
        self.progress = progress
        self.outlet = outlet
    }

    /// A call built by hand, for testing a handler without a server.
    public init(name: String, arguments: JSONObject = [:], requestID: RequestID = .int(1),
                protocolVersion: String = ProtocolVersion.latestLegacy) {
        self.init(name: name, arguments: arguments, requestID: requestID, protocolVersion: protocolVersion,
                  progress: ProgressReporter(token: nil, outlet: nil), outlet: nil)
    }

    /// Sends a notification to the client (say `notifications/message`), unless cancelled.
    public func sendNotification(_ method: String, params: JSONValue? = nil) {
        guard let outlet, !Task.isCancelled else { return }
        outlet.send(method, params: params)
    }

    /// The argument `key` as a string, if it is one.
    public func string(_ key: String) -> String? { arguments[key]?.stringValue }
    /// The argument `key` as an integer, if it is one.
    public func int(_ key: String) -> Int64? { arguments[key]?.intValue }
    /// The argument `key` as a number, if it is one.
    public func double(_ key: String) -> Double? { arguments[key]?.doubleValue }
}
