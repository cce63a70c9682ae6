import HangarCore

/// One piece of content in a tool result or a prompt message.
public enum ContentBlock: Sendable, Hashable {
    case text(String)
    /// Base64-encoded image data.
    case image(data: String, mimeType: String)
    /// Base64-encoded audio data.
    case audio(data: String, mimeType: String)
    /// A link to a resource the client may read.
    case resourceLink(uri: String, name: String, mimeType: String? = nil)
    /// A resource's contents, embedded.
    case resource(ResourceContents)
    /// Any other content block, passed through as it is.
    case raw(JSONValue)

    public var json: JSONValue {
        switch self {
        case .text(let text):
            return .object(["type": "text", "text": .string(text)])
        case .image(let data, let mimeType):
            return .object(["type": "image", "data": .string(data), "mimeType": .string(mimeType)])
        case .audio(let data, let mimeType):
            return .object(["type": "audio", "data": .string(data), "mimeType": .string(mimeType)])
        case .resourceLink(let uri, let name, let mimeType):
            var o: JSONObject = ["type": "resource_link", "uri": .string(uri), "name": .string(name)]
            if let mimeType { o["mimeType"] = .string(mimeType) }
            return .object(o)
        case .resource(let contents):
            return .object(["type": "resource", "resource": contents.json])
        case .raw(let value):
            return value
        }
    }
}
