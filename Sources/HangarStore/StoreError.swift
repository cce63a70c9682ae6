/// A failure of the persistent store. `description` names the operation, never stored values.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The database could not be opened or migrated.
        case unavailable
        /// A uniqueness rule was broken (e.g. a key id that exists).
        case conflict
        /// The store refused the change (append-only audit, a constraint).
        case refused
        case failed
    }
    public var code: Code
    public var operation: String
    /// Extra context for logs; may contain SQL errors but never stored values.
    public var detail: String

    public init(_ code: Code, operation: String, detail: String = "") {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "store: \(operation) failed (\(code.rawValue))" : "store: \(operation) failed (\(code.rawValue)): \(detail)"
    }
}
