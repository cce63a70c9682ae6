import Foundation
import HangarCatalog
import HangarCore
import HangarStore
import Testing

/// Search as users see it, over the built-in catalog in a real SQLite store (file and memory).
@Suite struct CatalogSearchTests {
    enum Kind: String, CaseIterable { case file, memory }

    static func store(_ kind: Kind) async throws -> SQLiteStore {
        let store: SQLiteStore
        switch kind {
        case .memory: store = try SQLiteStore()
        case .file:
            store = try SQLiteStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("hangar-catalog-\(UUID().uuidString)").path)
        }
        #expect(try await BuiltinCatalog.load().install(into: store, nowMs: 1_000))
        return store
    }

    static func names(_ store: SQLiteStore, _ query: CatalogQuery) async throws -> [String] {
        try await store.searchCatalog(query).hits.map(\.entry.name)
    }

    @Test func theBuiltInCatalogLoadsOnceAndAgainOnlyWhenItsVersionChanges() async throws {
        let store = try await Self.store(.memory)
        let builtin = try BuiltinCatalog.load()
        #expect(builtin.servers.count >= 14)
        #expect(try await !builtin.install(into: store))
        let all = try await store.searchCatalog(CatalogQuery(limit: 100))
        #expect(all.total == builtin.servers.count)
        for vendor in ["GitHub", "Linear", "Figma", "Zapier", "Stripe", "Slack"] {
            #expect(all.hits.contains { $0.entry.title == vendor }, "\(vendor) is missing")
        }
    }

    @Test(arguments: Kind.allCases)
    func wordsFindEntriesByNameDescriptionToolsAndTagsBestFirst(kind: Kind) async throws {
        let store = try await Self.store(kind)
        #expect(try await Self.names(store, CatalogQuery(text: "git")).first == "io.github.modelcontextprotocol/git")
        #expect(try await Self.names(store, CatalogQuery(text: "timezone")) == ["io.github.modelcontextprotocol/time"])
        #expect(try await Self.names(store, CatalogQuery(text: "convert_time")) == ["io.github.modelcontextprotocol/time"])
        #expect(try await Self.names(store, CatalogQuery(text: "invoices")) == ["com.stripe/mcp"])
        #expect(try await Self.names(store, CatalogQuery(text: "calc")).contains("io.github.githejie/calculator"))  // prefix
        #expect(try await Self.names(store, CatalogQuery(text: "nothing-like-this-exists")).isEmpty)
        #expect(try await Self.names(store, CatalogQuery(text: "\"*)(")).count > 1)  // punctuation alone: everything, no SQL error
    }

    @Test(arguments: Kind.allCases)
    func filtersNarrowTheResults(kind: Kind) async throws {
        let store = try await Self.store(kind)
        let remote = try await store.searchCatalog(CatalogQuery(transport: "remote", limit: 100)).hits
        #expect(!remote.isEmpty && remote.allSatisfy { $0.entry.transport == "remote" })
        #expect(remote.contains { $0.entry.name == "com.stripe/mcp" })
        #expect(try await Self.names(store, CatalogQuery(text: "git", category: "developer-tools")).contains("io.github.github/github-mcp-server"))
        #expect(try await Self.names(store, CatalogQuery(category: "databases")) == ["io.github.modelcontextprotocol/sqlite"])
        #expect(try await Self.names(store, CatalogQuery(tag: "offline", limit: 100)).count == 5)
        let featured = try await store.searchCatalog(CatalogQuery(featured: true, limit: 100)).hits
        #expect(!featured.isEmpty && featured.allSatisfy(\.entry.featured))
        #expect(try await Self.names(store, CatalogQuery(installed: true)).isEmpty)
        try await store.putCatalogInstall(CatalogInstallRecord(server: "time", entry: "io.github.modelcontextprotocol/time", version: "1",
                                                               kind: "hosted", consentIdentity: "local", consentMs: 5))
        let installed = try await store.searchCatalog(CatalogQuery(installed: true)).hits
        #expect(installed.map(\.entry.name) == ["io.github.modelcontextprotocol/time"] && installed[0].installed)
        #expect(try await !Self.names(store, CatalogQuery(installed: false, limit: 100)).contains("io.github.modelcontextprotocol/time"))
    }

    @Test(arguments: Kind.allCases)
    func sortsByRatingInstallsTrendingAndRecency(kind: Kind) async throws {
        let store = try await Self.store(kind)
        let git = "io.github.modelcontextprotocol/git", time = "io.github.modelcontextprotocol/time", fetch = "io.github.modelcontextprotocol/fetch"
        for (entry, who, stars) in [(git, "a", 4), (git, "b", 5), (time, "a", 3)] {
            try await store.rateCatalogEntry(CatalogRatingRecord(entry: entry, identity: who, stars: stars, review: "", createdMs: 1, updatedMs: 1))
        }
        #expect(try await Array(Self.names(store, CatalogQuery(sort: .rating)).prefix(2)) == [git, time])
        let day: Int64 = 86_400_000
        let now: Int64 = 100 * day
        try await store.recordCatalogInstallEvent(entry: fetch, identity: "a", atMs: now - 1)
        try await store.recordCatalogInstallEvent(entry: fetch, identity: "b", atMs: now - 2)
        for i in 0..<3 { try await store.recordCatalogInstallEvent(entry: time, identity: "c", atMs: now - 30 * day - Int64(i)) }
        #expect(try await Array(Self.names(store, CatalogQuery(sort: .installs)).prefix(2)) == [time, fetch])
        let trending = try await store.searchCatalog(CatalogQuery(sort: .trending, trendingSinceMs: now - 7 * day)).hits
        #expect(trending.map(\.entry.name) == [fetch] && trending[0].recentInstalls == 2 && trending[0].installs == 2)
        try await store.putCatalogEntries([CatalogEntryRecord(name: "io.new/thing", version: "1", title: "Thing", description: "new",
                                                              document: "{}", transport: "stdio", source: "import", publishedMs: now, updatedMs: now)])
        #expect(try await Self.names(store, CatalogQuery(sort: .recent)).first == "io.new/thing")
    }

    @Test(arguments: Kind.allCases)
    func cursorsWalkEveryResultOnce(kind: Kind) async throws {
        let store = try await Self.store(kind)
        var request = CatalogSearchRequest(limit: 3)
        var seen: [String] = []
        var pages = 0
        while true {
            let page = try await store.searchCatalog(try request.query(nowMs: 0))
            seen += page.hits.map(\.entry.name)
            pages += 1
            let next = try request.query(nowMs: 0).offset + page.hits.count
            guard next < page.total else { break }
            request.cursor = CatalogSearchRequest.cursor(offset: next)
        }
        let total = try await store.searchCatalog(CatalogQuery()).total
        #expect(seen.count == Set(seen).count && seen.count == total)
        #expect(pages == (seen.count + 2) / 3)
    }

    @Test(arguments: [
        (["sort": "best"], "sort must be one of"),
        (["limit": "0"], "limit must be"),
        (["transport": "carrier-pigeon"], "transport must be"),
        (["featured": "maybe"], "featured must be"),
        (["cursor": "!!"], "cursor is not one"),
    ])
    func badSearchParametersSayWhatIsAllowed(parameters: [String: String], expected: String) {
        #expect {
            try CatalogSearchRequest(parameters: parameters).query(nowMs: 0)
        } throws: { error in
            (error as? CatalogError)?.message.contains(expected) == true
        }
    }
}
