import HangarCore

/// A family of resources named by a URI template such as `file://items/{id}`.
public struct ResourceTemplate: Sendable {
    /// Reads one resource of the family; gets the URI and the template's variables taken from it.
    public typealias Reader = @Sendable (_ uri: String, _ variables: [String: String]) async throws -> ResourceContents

    public let uriTemplate: String
    public let name: String
    public let description: String?
    public let mimeType: String?
    let read: Reader
    let matcher: URITemplate

    public init(uriTemplate: String, name: String, description: String? = nil, mimeType: String? = nil, read: @escaping Reader) {
        self.uriTemplate = uriTemplate
        self.name = name
        self.description = description
        self.mimeType = mimeType
        self.read = read
        self.matcher = URITemplate(uriTemplate)
    }

    var definition: JSONValue {
        var o: JSONObject = ["uriTemplate": .string(uriTemplate), "name": .string(name)]
        if let description { o["description"] = .string(description) }
        if let mimeType { o["mimeType"] = .string(mimeType) }
        return .object(o)
    }
}
