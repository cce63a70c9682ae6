/// One reason an instance does not satisfy a schema.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer of the failing value in the instance (`""` is the whole instance).
    public let instanceLocation: String
    /// JSON Pointer of the failing keyword in the schema; prefixed with the document URI
    /// when the keyword lives in another document reached through `$ref`.
    public let keywordLocation: String
    /// What is wrong, in words a client can act on (`expected integer, got string`).
    public let message: String

    public init(instanceLocation: String, keywordLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.message = message
    }

    /// `"/count: expected integer, got string"`; the whole instance reads `(root)`.
    public var description: String {
        "\(instanceLocation.isEmpty ? "(root)" : instanceLocation): \(message)"
    }
}
