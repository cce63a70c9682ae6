/// A catalog operation that cannot be done. `message` says what to do and never carries a
/// secret value; the edge maps `code` to HTTP (invalid 400, notFound 404, conflict 409).
public struct CatalogError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The input is wrong (a malformed server.json, a rating out of range, a missing secret).
        case invalid
        case notFound = "not_found"
        /// The name is taken (a server with that name exists).
        case conflict
        /// A registry to sync from failed or answered something unreadable.
        case upstream
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "catalog: \(message)" }
}
