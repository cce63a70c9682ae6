/// The outcome of validating one instance. `errors` is bounded by `JSONSchema.Options.maxErrors`.
public struct SchemaValidationResult: Sendable, Hashable {
    public let errors: [SchemaViolation]
    /// True when more errors were found than were kept.
    public let isTruncated: Bool

    public init(errors: [SchemaViolation], isTruncated: Bool = false) {
        self.errors = errors
        self.isTruncated = isTruncated
    }

    public static let valid = SchemaValidationResult(errors: [])

    public var isValid: Bool { errors.isEmpty }

    /// A short text for a client: the first few errors, `; `-separated, then how many more.
    public func summary(limit: Int = 3) -> String {
        if errors.isEmpty { return "valid" }
        var text = errors.prefix(limit).map(\.description).joined(separator: "; ")
        let more = errors.count - min(limit, errors.count)
        if more > 0 || isTruncated {
            text += isTruncated ? " (and more errors)" : " (and \(more) more error\(more == 1 ? "" : "s"))"
        }
        return text
    }

    /// `summary(limit: 3)`.
    public var summary: String { summary() }
}
