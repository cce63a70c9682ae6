import HangarCore

/// What reading a resource returns: text or base64 data, named by its URI.
public struct ResourceContents: Sendable, Hashable {
    public enum Body: Sendable, Hashable {
        case text(String)
        /// Base64-encoded bytes.
        case blob(String)
    }

    public var uri: String
    public var mimeType: String?
    public var body: Body

    public init(uri: String, mimeType: String? = nil, body: Body) {
        self.uri = uri
        self.mimeType = mimeType
        self.body = body
    }

    public static func text(_ text: String, uri: String, mimeType: String? = "text/plain") -> ResourceContents {
        ResourceContents(uri: uri, mimeType: mimeType, body: .text(text))
    }

    public var json: JSONValue {
        var o: JSONObject = ["uri": .string(uri)]
        if let mimeType { o["mimeType"] = .string(mimeType) }
        switch body {
        case .text(let text): o["text"] = .string(text)
        case .blob(let blob): o["blob"] = .string(blob)
        }
        return .object(o)
    }
}
