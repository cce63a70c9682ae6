import HangarCore

/// Why a schema could not be compiled: a keyword with the wrong type, a `$ref` that resolves
/// to nothing, a `pattern` that is not a regular expression.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is; stable for callers that map errors to codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidSchema, invalidKeyword, unresolvableReference, invalidPattern
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A (sub)schema is neither an object nor a boolean.
        public static let invalidSchema = Code(.invalidSchema)
        /// A keyword's value has the wrong type or range (`"minLength": -1`, `"required": "a"`).
        public static let invalidKeyword = Code(.invalidKeyword)
        /// A `$ref` or `$dynamicRef` points at nothing known (no network fetching is ever done).
        public static let unresolvableReference = Code(.unresolvableReference)
        /// A `pattern` or `patternProperties` key is not a valid regular expression.
        public static let invalidPattern = Code(.invalidPattern)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// JSON Pointer (in the schema) of the offending keyword or subschema.
    public let schemaLocation: String
    /// A sentence that says what is wrong.
    public let message: String

    public init(_ code: Code, at schemaLocation: String, _ message: String) {
        self.code = code
        self.schemaLocation = schemaLocation
        self.message = message
    }

    public var description: String {
        "invalid JSON Schema at \(schemaLocation.isEmpty ? "(root)" : schemaLocation): \(message)"
    }
}
