import Foundation
import HangarStore

/// A search as users ask for it (query-string parameters, CLI flags, MCP tool arguments),
/// turned into a store query. The page cursor is opaque to clients.
public struct CatalogSearchRequest: Sendable, Hashable {
    public var text: String?
    public var category: String?
    public var tag: String?
    public var transport: String?
    public var installed: Bool?
    public var featured: Bool?
    public var sort: CatalogQuery.Sort
    public var limit: Int
    public var cursor: String?
    /// Trending counts installs within this many days.
    public var trendingDays: Int

    public init(text: String? = nil, category: String? = nil, tag: String? = nil, transport: String? = nil, installed: Bool? = nil,
                featured: Bool? = nil, sort: CatalogQuery.Sort? = nil, limit: Int = 20, cursor: String? = nil, trendingDays: Int = 7) {
        self.text = text
        self.category = category
        self.tag = tag
        self.transport = transport
        self.installed = installed
        self.featured = featured
        self.sort = sort ?? .relevance
        self.limit = limit
        self.cursor = cursor
        self.trendingDays = trendingDays
    }

    /// Reads `q`, `category`, `tag`, `transport`, `installed`, `featured`, `sort`, `limit`,
    /// `cursor`, `days`; the error names the bad parameter and its allowed values.
    public init(parameters p: [String: String]) throws(CatalogError) {
        func flag(_ key: String) throws(CatalogError) -> Bool? {
            guard let v = p[key] else { return nil }
            switch v.lowercased() {
            case "1", "true", "yes": return true
            case "0", "false", "no": return false
            default: throw CatalogError(.invalid, "\(key) must be true or false")
            }
        }
        var sort: CatalogQuery.Sort?
        if let s = p["sort"] {
            guard let v = CatalogQuery.Sort(rawValue: s) else {
                throw CatalogError(.invalid, "sort must be one of \(CatalogQuery.Sort.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sort = v
        }
        if let t = p["transport"], t != "stdio", t != "remote" { throw CatalogError(.invalid, "transport must be stdio or remote") }
        var limit = 20
        if let l = p["limit"] {
            guard let n = Int(l), (1...100).contains(n) else { throw CatalogError(.invalid, "limit must be an integer from 1 to 100") }
            limit = n
        }
        var days = 7
        if let d = p["days"] {
            guard let n = Int(d), (1...365).contains(n) else { throw CatalogError(.invalid, "days must be an integer from 1 to 365") }
            days = n
        }
        self.init(text: p["q"].flatMap { $0.isEmpty ? nil : $0 }, category: p["category"]?.lowercased(), tag: p["tag"]?.lowercased(),
                  transport: p["transport"], installed: try flag("installed"), featured: try flag("featured"), sort: sort, limit: limit,
                  cursor: p["cursor"], trendingDays: days)
    }

    /// The store query for this request at `nowMs`.
    public func query(nowMs: Int64) throws(CatalogError) -> CatalogQuery {
        CatalogQuery(text: text, category: category, tag: tag, transport: transport, installed: installed, featured: featured,
                     sort: sort, trendingSinceMs: nowMs - Int64(trendingDays) * 86_400_000, limit: limit,
                     offset: try cursor.map(Self.offset(fromCursor:)) ?? 0)
    }

    /// The cursor of the page that starts at `offset`.
    public static func cursor(offset: Int) -> String {
        Data("o:\(offset)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// The offset a cursor stands for; invalid when this server did not give it out.
    public static func offset(fromCursor cursor: String) throws(CatalogError) -> Int {
        var text = cursor
        while text.utf8.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let s = String(data: data, encoding: .utf8), s.hasPrefix("o:"),
              let n = Int(s.dropFirst(2)), n >= 0 else {
            throw CatalogError(.invalid, "cursor is not one this server gave out; start again without it")
        }
        return n
    }
}
