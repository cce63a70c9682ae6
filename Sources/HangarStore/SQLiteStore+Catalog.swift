import GRDB

// MARK: - Catalog entries and search

extension SQLiteStore {
    public func putCatalogEntries(_ entries: [CatalogEntryRecord]) async throws(StoreError) {
        guard !entries.isEmpty else { return }
        try await write("store catalog entries") { db in
            for e in entries {
                try db.execute(sql: """
                    INSERT INTO catalog_entries (name, version, title, description, document, categories, tags, tool_text,
                      transport, featured, source, published_ms, updated_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET version = excluded.version, title = excluded.title,
                      description = excluded.description, document = excluded.document, categories = excluded.categories,
                      tags = excluded.tags, tool_text = excluded.tool_text, transport = excluded.transport,
                      featured = excluded.featured, source = excluded.source, updated_ms = excluded.updated_ms
                    """, arguments: [e.name, e.version, e.title, e.description, e.document, Self.joined(e.categories),
                                     Self.joined(e.tags), e.toolText, e.transport, e.featured, e.source, e.publishedMs, e.updatedMs])
                try db.execute(sql: "DELETE FROM catalog_tombstones WHERE name = ?", arguments: [e.name])
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM catalog_entries WHERE name = ?", arguments: [e.name]) else { continue }
                try db.execute(sql: "DELETE FROM catalog_fts WHERE rowid = ?", arguments: [id])
                try db.execute(sql: "INSERT INTO catalog_fts (rowid, name, title, description, tools, tags) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [id, Self.searchableName(e.name), e.title, e.description, e.toolText,
                                           (e.tags + e.categories).joined(separator: " ")])
                try db.execute(sql: "DELETE FROM catalog_labels WHERE entry_id = ?", arguments: [id])
                for (kind, values) in [(CatalogLabelKind.category, e.categories), (.tag, e.tags)] {
                    for v in Set(values) {
                        try db.execute(sql: "INSERT INTO catalog_labels (kind, value, entry_id) VALUES (?, ?, ?)", arguments: [kind.rawValue, v, id])
                    }
                }
            }
        }
    }

    public func catalogEntry(named name: String) async throws(StoreError) -> CatalogHit? {
        try await read("read catalog entry") { db in
            try Row.fetchOne(db, sql: "SELECT e.*, 0 AS recent, \(Self.installedColumn) FROM catalog_entries e WHERE name = ?",
                             arguments: [name]).map(Self.hit(from:))
        }
    }

    public func deleteCatalogEntry(named name: String, atMs: Int64) async throws(StoreError) -> Bool {
        try await write("delete catalog entry") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, version, document, source FROM catalog_entries WHERE name = ?", arguments: [name]) else {
                return false
            }
            let id: Int64 = row["id"]
            try db.execute(sql: """
                INSERT INTO catalog_tombstones (name, version, document, source, deleted_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET version = excluded.version, document = excluded.document,
                  source = excluded.source, deleted_ms = excluded.deleted_ms
                """, arguments: [name, row["version"] as String, row["document"] as String, row["source"] as String, atMs])
            try db.execute(sql: "DELETE FROM catalog_fts WHERE rowid = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM catalog_labels WHERE entry_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM catalog_ratings WHERE entry = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM catalog_entries WHERE id = ?", arguments: [id])
            return true
        }
    }

    public func catalogTombstones(sinceMs: Int64, limit: Int, offset: Int) async throws(StoreError) -> (records: [CatalogTombstoneRecord], total: Int) {
        try await read("read catalog tombstones") { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM catalog_tombstones WHERE deleted_ms >= ?", arguments: [sinceMs]) ?? 0
            let records = try Row.fetchAll(db, sql: "SELECT * FROM catalog_tombstones WHERE deleted_ms >= ? ORDER BY name LIMIT ? OFFSET ?",
                                           arguments: [sinceMs, limit, offset]).map { row in
                CatalogTombstoneRecord(name: row["name"], version: row["version"], document: row["document"], source: row["source"],
                                       deletedMs: row["deleted_ms"])
            }
            return (records, total)
        }
    }

    public func catalogSourceStamps(source: String) async throws(StoreError) -> [String: Int64] {
        try await read("read catalog entries of a source") { db in
            var stamps: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, updated_ms FROM catalog_entries WHERE source = ?", arguments: [source]) {
                stamps[row["name"]] = row["updated_ms"]
            }
            return stamps
        }
    }

    public func searchCatalog(_ query: CatalogQuery) async throws(StoreError) -> CatalogPage {
        try await read("search catalog") { db in
            var from = "catalog_entries e"
            var clauses: [String] = []
            var args: [any DatabaseValueConvertible] = []
            var recent = "0"
            let match = query.text.flatMap(Self.ftsQuery)
            if let match {
                from = "catalog_fts JOIN catalog_entries e ON e.id = catalog_fts.rowid"
                clauses.append("catalog_fts MATCH ?")
                args.append(match)
            }
            if query.sort == .trending {
                from += " JOIN (SELECT entry, count(*) AS n FROM catalog_install_events WHERE at_ms >= ? GROUP BY entry) t ON t.entry = e.name"
                args.insert(query.trendingSinceMs, at: 0)
                recent = "t.n"
            }
            if let v = query.category {
                if match == nil, query.sort != .trending {
                    // Drive the scan from the category's few rows, not from the order's index.
                    from = "catalog_labels lc CROSS JOIN catalog_entries e ON e.id = lc.entry_id"
                    clauses.append("lc.kind = 'category' AND lc.value = ?")
                } else {
                    clauses.append("e.id IN (SELECT entry_id FROM catalog_labels WHERE kind = 'category' AND value = ?)")
                }
                args.append(v)
            }
            if let v = query.tag {
                clauses.append("e.id IN (SELECT entry_id FROM catalog_labels WHERE kind = 'tag' AND value = ?)")
                args.append(v)
            }
            if let v = query.transport { clauses.append("e.transport = ?"); args.append(v) }
            if let v = query.featured { clauses.append("e.featured = ?"); args.append(v) }
            if let v = query.updatedSinceMs { clauses.append("e.updated_ms >= ?"); args.append(v) }
            if let v = query.installed {
                clauses.append("e.name " + (v ? "" : "NOT ") + "IN (SELECT entry FROM catalog_installs)")
            }
            let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            let order: String = switch query.sort {
            case .relevance: match != nil ? "catalog_fts.rank, e.id"
                                          : "e.featured DESC, e.installs DESC, e.name"
            case .rating: "e.rating_count > 0 DESC, CAST(e.rating_sum AS REAL) / max(e.rating_count, 1) DESC, e.rating_count DESC, e.name"
            case .installs: "e.installs DESC, e.name"
            case .recent: "e.updated_ms DESC, e.name"
            case .trending: "t.n DESC, e.installs DESC, e.name"
            case .name: "e.name"
            }
            // Only the id (and the trending count) goes through the sort; full rows are read for
            // the page alone, so a broad match costs a sort of integers, not of documents.
            let countSQL = match != nil && clauses.count == 1 && query.sort != .trending
                ? "SELECT count(*) FROM catalog_fts WHERE catalog_fts MATCH ?" : "SELECT count(*) FROM \(from)\(whereSQL)"
            let total = try Int.fetchOne(db, sql: countSQL, arguments: StatementArguments(args)) ?? 0
            let pageArgs = args + [max(1, min(query.limit, 500)), max(0, query.offset)]
            // Words alone, by relevance: FTS5 ranks and pages by itself, without a join per match.
            let pageSQL = match != nil && clauses.count == 1 && query.sort == .relevance
                ? "SELECT rowid AS id, 0 AS recent FROM catalog_fts WHERE catalog_fts MATCH ? ORDER BY rank, rowid LIMIT ? OFFSET ?"
                : "SELECT e.id AS id, \(recent) AS recent FROM \(from)\(whereSQL) ORDER BY \(order) LIMIT ? OFFSET ?"
            let page = try Row.fetchAll(db, sql: pageSQL, arguments: StatementArguments(pageArgs))
            guard !page.isEmpty else { return CatalogPage(hits: [], total: total) }
            let ids: [Int64] = page.map { $0["id"] }
            var rows: [Int64: Row] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT e.*, 0 AS recent, \(Self.installedColumn) FROM catalog_entries e
                WHERE e.id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))
                """, arguments: StatementArguments(ids)) {
                rows[row["id"]] = row
            }
            let hits = zip(ids, page).compactMap { id, p -> CatalogHit? in
                guard let row = rows[id] else { return nil }
                var hit = Self.hit(from: row)
                hit.recentInstalls = p["recent"]
                return hit
            }
            return CatalogPage(hits: hits, total: total)
        }
    }

    public func catalogLabels(_ kind: CatalogLabelKind) async throws(StoreError) -> [(value: String, count: Int)] {
        let rows = try await read("list catalog labels") { db in
            try Row.fetchAll(db, sql: "SELECT value, count(*) AS n FROM catalog_labels WHERE kind = ? GROUP BY value ORDER BY value",
                             arguments: [kind.rawValue]).map { (row: Row) -> LabelCount in LabelCount(value: row["value"], count: row["n"]) }
        }
        return rows.map { ($0.value, $0.count) }
    }

    struct LabelCount: Sendable {
        var value: String
        var count: Int
    }

    static let installedColumn = "EXISTS (SELECT 1 FROM catalog_installs i WHERE i.entry = e.name) AS installed_now"

    static func hit(from row: Row) -> CatalogHit {
        let entry = CatalogEntryRecord(
            name: row["name"], version: row["version"], title: row["title"], description: row["description"], document: row["document"],
            categories: split(row["categories"]), tags: split(row["tags"]), toolText: row["tool_text"], transport: row["transport"],
            featured: row["featured"], source: row["source"], publishedMs: row["published_ms"], updatedMs: row["updated_ms"])
        let count: Int = row["rating_count"]
        let sum: Int = row["rating_sum"]
        return CatalogHit(entry: entry, ratingCount: count, ratingAverage: count > 0 ? Double(sum) / Double(count) : nil,
                          installs: row["installs"], recentInstalls: row["recent"], installed: row["installed_now"])
    }

    /// Free text as an FTS5 query: every word required, as itself or as a prefix (the exact
    /// word counts twice, so `git` ranks Git above GitHub); nil when there is no word
    /// (punctuation alone matches everything).
    static func ftsQuery(_ text: String) -> String? {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }
        guard !words.isEmpty else { return nil }
        return words.prefix(16).map { "(\"\($0)\" OR \"\($0)\"*)" }.joined(separator: " AND ")
    }

    /// The words of a name worth matching: `io.github.acme/git-tools` is `acme git-tools`;
    /// the reverse-DNS head (`io`, `com`, `io.github`) would match every entry.
    static func searchableName(_ name: String) -> String {
        let parts = name.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return name }
        var labels = parts[0].split(separator: ".").dropFirst()
        if let first = labels.first, ["github", "gitlab"].contains(first), labels.count > 1 { labels = labels.dropFirst() }
        return (labels + [parts[1]]).joined(separator: " ")
    }

    static func joined(_ values: [String]) -> String { values.joined(separator: "\n") }
    static func split(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }
}

// MARK: - Ratings, install events, installs

extension SQLiteStore {
    public func rateCatalogEntry(_ r: CatalogRatingRecord) async throws(StoreError) {
        try await write("store catalog rating") { db in
            guard try Int64.fetchOne(db, sql: "SELECT id FROM catalog_entries WHERE name = ?", arguments: [r.entry]) != nil else {
                throw StoreError(.refused, operation: "store catalog rating", detail: "no such catalog entry")
            }
            try db.execute(sql: """
                INSERT INTO catalog_ratings (entry, identity, stars, review, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(entry, identity) DO UPDATE SET stars = excluded.stars, review = excluded.review, updated_ms = excluded.updated_ms
                """, arguments: [r.entry, r.identity, r.stars, r.review, r.createdMs, r.updatedMs])
            try db.execute(sql: """
                UPDATE catalog_entries SET rating_sum = (SELECT coalesce(sum(stars), 0) FROM catalog_ratings WHERE entry = ?),
                  rating_count = (SELECT count(*) FROM catalog_ratings WHERE entry = ?) WHERE name = ?
                """, arguments: [r.entry, r.entry, r.entry])
        }
    }

    public func catalogRatings(entry: String, limit: Int) async throws(StoreError) -> [CatalogRatingRecord] {
        try await read("list catalog ratings") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM catalog_ratings WHERE entry = ? ORDER BY updated_ms DESC, identity LIMIT ?",
                             arguments: [entry, max(1, min(limit, 1000))]).map { row in
                CatalogRatingRecord(entry: row["entry"], identity: row["identity"], stars: row["stars"], review: row["review"],
                                    createdMs: row["created_ms"], updatedMs: row["updated_ms"])
            }
        }
    }

    public func recordCatalogInstallEvent(entry: String, identity: String, atMs: Int64) async throws(StoreError) {
        try await write("count catalog install") { db in
            try db.execute(sql: "INSERT INTO catalog_install_events (entry, identity, at_ms) VALUES (?, ?, ?)", arguments: [entry, identity, atMs])
            try db.execute(sql: "UPDATE catalog_entries SET installs = installs + 1 WHERE name = ?", arguments: [entry])
        }
    }

    public func putCatalogInstall(_ i: CatalogInstallRecord) async throws(StoreError) {
        try await write("store catalog install") { db in
            try db.execute(sql: """
                INSERT INTO catalog_installs (server, entry, version, kind, config, consent_identity, consent_ms, domains, folders)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(server) DO UPDATE SET entry = excluded.entry, version = excluded.version, kind = excluded.kind,
                  config = excluded.config, consent_identity = excluded.consent_identity, consent_ms = excluded.consent_ms,
                  domains = excluded.domains, folders = excluded.folders
                """, arguments: [i.server, i.entry, i.version, i.kind, i.config, i.consentIdentity, i.consentMs,
                                 Self.joined(i.domains), Self.joined(i.folders)])
        }
    }

    public func catalogInstalls() async throws(StoreError) -> [CatalogInstallRecord] {
        try await read("list catalog installs") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM catalog_installs ORDER BY consent_ms, server").map { row in
                CatalogInstallRecord(server: row["server"], entry: row["entry"], version: row["version"], kind: row["kind"],
                                     config: row["config"], consentIdentity: row["consent_identity"], consentMs: row["consent_ms"],
                                     domains: Self.split(row["domains"]), folders: Self.split(row["folders"]))
            }
        }
    }

    public func deleteCatalogInstall(server: String) async throws(StoreError) -> Bool {
        try await write("delete catalog install") { db in
            try db.execute(sql: "DELETE FROM catalog_installs WHERE server = ?", arguments: [server])
            return db.changesCount > 0
        }
    }
}
