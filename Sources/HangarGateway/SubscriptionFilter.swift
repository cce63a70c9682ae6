import HangarCore

/// What a modern client asked `subscriptions/listen` for, reduced to what Hangar honours.
public struct SubscriptionFilter: Sendable {
    public let subscriptionID: RequestID
    /// The filter as acknowledged to the client.
    public let honored: JSONObject
    private let uris: Set<String>

    public init(request: JSONRPCMessage.Request) {
        subscriptionID = request.id
        let requested = request.params?["notifications"]?.objectValue ?? [:]
        var honored = JSONObject()
        for key in ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] where requested[key] == .bool(true) {
            honored[key] = true
        }
        let uris = Set(requested["resourceSubscriptions"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if !uris.isEmpty { honored["resourceSubscriptions"] = .array(uris.sorted().map { .string($0) }) }
        self.honored = honored
        self.uris = uris
    }

    private var meta: JSONValue { [MetaKey.subscriptionId: subscriptionID.json] }

    /// The first message on the stream.
    public var acknowledgement: JSONRPCMessage {
        .notification(.init(method: MCPMethod.subscriptionsAcknowledged, params: ["_meta": meta, "notifications": .object(honored)]))
    }

    /// The notification for a change, or nil when the client did not ask for it.
    public func notification(for change: CatalogChange) -> JSONRPCMessage? {
        var params: JSONObject = ["_meta": meta]
        switch change {
        case .resourceUpdated(let uri):
            guard uris.contains(uri) else { return nil }
            params["uri"] = .string(uri)
        default:
            guard honored[change.filterKey] == .bool(true) else { return nil }
        }
        return .notification(.init(method: change.notificationMethod, params: .object(params)))
    }

    /// The response that ends the subscription gracefully.
    public var closingResponse: JSONRPCMessage {
        .response(.result(subscriptionID, ["resultType": "complete", "_meta": meta]))
    }
}
