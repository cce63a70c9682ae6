import HangarCore

/// Schema documents known by URI, so a `$ref` to another document resolves without any
/// network access. The official 2020-12 and draft-07 meta-schemas are always known.
public struct SchemaRegistry: Sendable {
    private var documents: [String: JSONValue]

    public init(_ documents: [String: JSONValue] = [:]) {
        self.documents = [:]
        for (uri, document) in documents { add(document, at: uri) }
    }

    /// Makes `document` the answer for `uri` (an empty fragment, `...#`, is ignored).
    public mutating func add(_ document: JSONValue, at uri: String) {
        documents[SchemaURI.withoutFragment(uri)] = document
    }

    /// The document at `uri`, or a built-in meta-schema, or nil.
    public func document(at uri: String) -> JSONValue? {
        let key = SchemaURI.withoutFragment(uri)
        return documents[key] ?? Metaschemas.documents[key]
    }

    /// URIs added by the caller (the built-in meta-schemas are not listed).
    public var uris: [String] { Array(documents.keys) }
}
