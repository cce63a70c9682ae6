import HangarCore

/// A resource at a fixed URI.
public struct Resource: Sendable {
    /// Reads the resource; gets the URI asked for.
    public typealias Reader = @Sendable (_ uri: String) async throws -> ResourceContents

    public let uri: String
    public let name: String
    public let description: String?
    public let mimeType: String?
    let read: Reader

    public init(uri: String, name: String, description: String? = nil, mimeType: String? = nil, read: @escaping Reader) {
        self.uri = uri
        self.name = name
        self.description = description
        self.mimeType = mimeType
        self.read = read
    }

    var definition: JSONValue {
        var o: JSONObject = ["uri": .string(uri), "name": .string(name)]
        if let description { o["description"] = .string(description) }
        if let mimeType { o["mimeType"] = .string(mimeType) }
        return .object(o)
    }
}
