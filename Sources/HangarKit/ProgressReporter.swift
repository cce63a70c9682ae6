import HangarCore

/// Sends `notifications/progress` for one request, if the client asked for progress by
/// giving a `progressToken`; otherwise reporting does nothing.
public struct ProgressReporter: Sendable {
    /// The client's `progressToken`, if it gave one.
    public let token: JSONValue?
    let outlet: NotificationOutlet?

    init(token: JSONValue?, outlet: NotificationOutlet?) {
        self.token = token
        self.outlet = outlet
    }

    /// Whether the client will see reports.
    public var isRequested: Bool { token != nil }

    /// Reports how far the work is. `progress` must grow from one report to the next.
    /// Nothing is sent once the request is cancelled.
    public func report(_ progress: Double, total: Double? = nil, message: String? = nil) {
        guard let token, let outlet, !Task.isCancelled else { return }
        var params: JSONObject = ["progressToken": token, "progress": .double(progress)]
        if let total { params["total"] = .double(total) }
        if let message { params["message"] = .string(message) }
        outlet.send(MCPMethod.progress, params: .object(params))
    }
}
