/// One catalog entry: its server.json document and the fields search needs.
public struct CatalogEntryRecord: Sendable, Hashable {
    /// The server.json `name` (`namespace/name`), unique.
    public var name: String
    public var version: String
    public var title: String
    public var description: String
    /// The full server.json document as JSON text (unknown fields kept).
    public var document: String
    public var categories: [String]
    public var tags: [String]
    /// Tool names and descriptions, space separated: searched, not shown.
    public var toolText: String
    /// `stdio` (a package) or `remote` (a URL).
    public var transport: String
    public var featured: Bool
    /// Where it came from: `builtin`, `import`, or the registry URL it was synced from.
    public var source: String
    public var publishedMs: Int64
    public var updatedMs: Int64

    public init(name: String, version: String, title: String, description: String, document: String, categories: [String] = [],
                tags: [String] = [], toolText: String = "", transport: String, featured: Bool = false, source: String,
                publishedMs: Int64, updatedMs: Int64) {
        self.name = name
        self.version = version
        self.title = title
        self.description = description
        self.document = document
        self.categories = categories
        self.tags = tags
        self.toolText = toolText
        self.transport = transport
        self.featured = featured
        self.source = source
        self.publishedMs = publishedMs
        self.updatedMs = updatedMs
    }
}

/// What is left of a deleted entry: enough to tell a syncing registry that it is gone.
public struct CatalogTombstoneRecord: Sendable, Hashable {
    public var name: String
    /// The last version the entry had.
    public var version: String
    /// Its last server.json document (JSON text).
    public var document: String
    public var source: String
    public var deletedMs: Int64

    public init(name: String, version: String, document: String, source: String, deletedMs: Int64) {
        self.name = name
        self.version = version
        self.document = document
        self.source = source
        self.deletedMs = deletedMs
    }
}

/// An entry with what users did with it.
public struct CatalogHit: Sendable, Hashable {
    public var entry: CatalogEntryRecord
    public var ratingCount: Int
    /// Mean stars, nil without ratings.
    public var ratingAverage: Double?
    /// Every install ever counted.
    public var installs: Int
    /// Installs within the query's trending window (0 outside trending queries).
    public var recentInstalls: Int
    /// Some server installed from this entry exists now.
    public var installed: Bool

    public init(entry: CatalogEntryRecord, ratingCount: Int, ratingAverage: Double?, installs: Int, recentInstalls: Int, installed: Bool) {
        self.entry = entry
        self.ratingCount = ratingCount
        self.ratingAverage = ratingAverage
        self.installs = installs
        self.recentInstalls = recentInstalls
        self.installed = installed
    }
}

public enum CatalogLabelKind: String, Sendable {
    case category, tag
}

/// A catalog search: full text (nil: everything), filters, order and page.
public struct CatalogQuery: Sendable, Hashable {
    public enum Sort: String, Sendable, CaseIterable {
        /// Best text match first (bm25); without text, featured then most installed.
        case relevance
        case rating
        case installs
        /// Most recently updated first.
        case recent
        /// Most installs since `trendingSinceMs`; entries without any are left out.
        case trending
        /// By name (stable listing for the registry API).
        case name
    }
    public var text: String?
    public var category: String?
    public var tag: String?
    /// `stdio` or `remote`.
    public var transport: String?
    public var installed: Bool?
    public var featured: Bool?
    /// Entries updated at or after this time (ms since 1970).
    public var updatedSinceMs: Int64?
    public var sort: Sort
    public var trendingSinceMs: Int64
    public var limit: Int
    public var offset: Int

    public init(text: String? = nil, category: String? = nil, tag: String? = nil, transport: String? = nil, installed: Bool? = nil,
                featured: Bool? = nil, updatedSinceMs: Int64? = nil, sort: Sort = .relevance, trendingSinceMs: Int64 = 0,
                limit: Int = 20, offset: Int = 0) {
        self.text = text
        self.category = category
        self.tag = tag
        self.transport = transport
        self.installed = installed
        self.featured = featured
        self.updatedSinceMs = updatedSinceMs
        self.sort = sort
        self.trendingSinceMs = trendingSinceMs
        self.limit = limit
        self.offset = offset
    }
}

/// One page of search results.
public struct CatalogPage: Sendable, Hashable {
    public var hits: [CatalogHit]
    /// How many entries match in all.
    public var total: Int

    public init(hits: [CatalogHit], total: Int) {
        self.hits = hits
        self.total = total
    }
}

/// One identity's rating (1-5) and review of an entry.
public struct CatalogRatingRecord: Sendable, Hashable {
    public var entry: String
    /// Who rated: `key:<id>`, `jwt:<subject>`, `local`.
    public var identity: String
    public var stars: Int
    public var review: String
    public var createdMs: Int64
    public var updatedMs: Int64

    public init(entry: String, identity: String, stars: Int, review: String, createdMs: Int64, updatedMs: Int64) {
        self.entry = entry
        self.identity = identity
        self.stars = stars
        self.review = review
        self.createdMs = createdMs
        self.updatedMs = updatedMs
    }
}

/// A server installed from the catalog, and the consent given to its declared permissions.
public struct CatalogInstallRecord: Sendable, Hashable {
    /// The hosted server or upstream's name.
    public var server: String
    public var entry: String
    public var version: String
    /// `hosted` (a package run in the sandbox) or `remote` (an HTTP upstream).
    public var kind: String
    /// For remote installs, the upstream as JSON (`url`, `headers` with `${secret:NAME}` only).
    public var config: String
    /// Who consented, when, and to which network domains and folders.
    public var consentIdentity: String
    public var consentMs: Int64
    public var domains: [String]
    public var folders: [String]

    public init(server: String, entry: String, version: String, kind: String, config: String = "{}", consentIdentity: String,
                consentMs: Int64, domains: [String] = [], folders: [String] = []) {
        self.server = server
        self.entry = entry
        self.version = version
        self.kind = kind
        self.config = config
        self.consentIdentity = consentIdentity
        self.consentMs = consentMs
        self.domains = domains
        self.folders = folders
    }
}
