import HangarCore

/// Opaque pagination cursors: clients hand back what they were given.
enum ListCursor {
    private static let prefix = "hk1."

    static func encode(offset: Int) -> String { prefix + String(offset, radix: 36) }

    static func decode(_ cursor: String) -> Int? {
        guard cursor.hasPrefix(prefix) else { return nil }
        return Int(cursor.dropFirst(prefix.count), radix: 36)
    }

    /// The page of `items` that `cursor` points at, and the cursor of the next page.
    static func page<T>(_ items: [T], cursor: JSONValue?, pageSize: Int?) -> Result<(ArraySlice<T>, String?), JSONRPCError> {
        var start = 0
        if let cursor, !cursor.isNull {
            guard let text = cursor.stringValue, let offset = decode(text), offset >= 0, offset <= items.count else {
                return .failure(.invalidParams("unknown cursor"))
            }
            start = offset
        }
        guard let pageSize else { return .success((items[start...], nil)) }
        let end = min(items.count, start + pageSize)
        return .success((items[start..<end], end < items.count ? encode(offset: end) : nil))
    }
}
