import HangarStore
import Testing

/// The catalog behaviour every store implementation must have (see `StoreKind`).
@Suite struct CatalogConformanceTests {
    static func entry(_ name: String, title: String, description: String, categories: [String] = [], tags: [String] = [],
                      tools: String = "", transport: String = "stdio", featured: Bool = false, updatedMs: Int64 = 1) -> CatalogEntryRecord {
        CatalogEntryRecord(name: name, version: "1.0.0", title: title, description: description, document: #"{"name":"\#(name)"}"#,
                           categories: categories, tags: tags, toolText: tools, transport: transport, featured: featured,
                           source: "test", publishedMs: 1, updatedMs: updatedMs)
    }

    static let entries = [
        entry("io.acme/git", title: "Git", description: "Work with repositories", categories: ["developer-tools"], tags: ["vcs"],
              tools: "git_status git_log", featured: true),
        entry("io.acme/clock", title: "Clock", description: "Current time in any zone", categories: ["utilities"], tags: ["time"],
              tools: "get_current_time"),
        entry("io.acme/hub", title: "Hub", description: "Issues and pull requests of git hosting", categories: ["developer-tools"],
              tags: ["issues"], transport: "remote", updatedMs: 9),
    ]

    @Test(arguments: StoreKind.allCases)
    func entriesUpsertByNameAndKeepTheirRatings(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putCatalogEntries(Self.entries)
        try await store.rateCatalogEntry(CatalogRatingRecord(entry: "io.acme/git", identity: "key:a", stars: 4, review: "good", createdMs: 2, updatedMs: 2))
        var changed = Self.entries[0]
        changed.description = "Repositories, now with worktrees"
        changed.tags = ["vcs", "worktree"]
        try await store.putCatalogEntries([changed])
        let hit = try #require(try await store.catalogEntry(named: "io.acme/git"))
        #expect(hit.entry == changed && hit.ratingCount == 1 && hit.ratingAverage == 4)
        #expect(try await store.searchCatalog(CatalogQuery(text: "worktrees")).hits.map(\.entry.name) == ["io.acme/git"])
        #expect(try await store.searchCatalog(CatalogQuery(text: "repositories")).hits.map(\.entry.name) == ["io.acme/git"])  // old text gone once
        #expect(try await store.catalogEntry(named: "io.acme/none") == nil)
        #expect(try await store.deleteCatalogEntry(named: "io.acme/git", atMs: 50))
        #expect(try await !store.deleteCatalogEntry(named: "io.acme/git", atMs: 51))
        #expect(try await store.searchCatalog(CatalogQuery(text: "git")).hits.map(\.entry.name) == ["io.acme/hub"])
        #expect(try await store.catalogRatings(entry: "io.acme/git", limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func deletionLeavesATombstoneUntilTheNameComesBack(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putCatalogEntries(Self.entries)
        #expect(try await store.catalogSourceStamps(source: "test") == ["io.acme/git": 1, "io.acme/clock": 1, "io.acme/hub": 9])
        #expect(try await store.catalogSourceStamps(source: "elsewhere").isEmpty)
        #expect(try await store.deleteCatalogEntry(named: "io.acme/git", atMs: 50))
        #expect(try await store.deleteCatalogEntry(named: "io.acme/clock", atMs: 70))
        let all = try await store.catalogTombstones(sinceMs: 0, limit: 10, offset: 0)
        #expect(all.total == 2 && all.records.map(\.name) == ["io.acme/clock", "io.acme/git"])
        #expect(all.records.last == CatalogTombstoneRecord(name: "io.acme/git", version: "1.0.0", document: #"{"name":"io.acme/git"}"#,
                                                           source: "test", deletedMs: 50))
        let recent = try await store.catalogTombstones(sinceMs: 60, limit: 10, offset: 0)
        #expect(recent.total == 1 && recent.records.map(\.name) == ["io.acme/clock"])
        let paged = try await store.catalogTombstones(sinceMs: 0, limit: 1, offset: 1)
        #expect(paged.total == 2 && paged.records.map(\.name) == ["io.acme/git"])
        #expect(try await store.catalogSourceStamps(source: "test") == ["io.acme/hub": 9])
        // Putting the name again brings the entry back and drops its tombstone.
        try await store.putCatalogEntries([Self.entries[0]])
        #expect(try await store.catalogTombstones(sinceMs: 0, limit: 10, offset: 0).records.map(\.name) == ["io.acme/clock"])
        #expect(try await store.catalogEntry(named: "io.acme/git") != nil)
    }

    @Test(arguments: StoreKind.allCases)
    func searchRanksFiltersSortsAndPages(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putCatalogEntries(Self.entries)
        // A name match outranks a match in the description.
        #expect(try await store.searchCatalog(CatalogQuery(text: "git")).hits.map(\.entry.name) == ["io.acme/git", "io.acme/hub"])
        #expect(try await store.searchCatalog(CatalogQuery(text: "get_current_time")).hits.map(\.entry.name) == ["io.acme/clock"])
        #expect(try await store.searchCatalog(CatalogQuery(category: "developer-tools")).total == 2)
        #expect(try await store.searchCatalog(CatalogQuery(tag: "time")).hits.map(\.entry.name) == ["io.acme/clock"])
        #expect(try await store.searchCatalog(CatalogQuery(transport: "remote")).hits.map(\.entry.name) == ["io.acme/hub"])
        #expect(try await store.searchCatalog(CatalogQuery(featured: true)).hits.map(\.entry.name) == ["io.acme/git"])
        #expect(try await store.searchCatalog(CatalogQuery(updatedSinceMs: 5)).hits.map(\.entry.name) == ["io.acme/hub"])
        #expect(try await store.searchCatalog(CatalogQuery(sort: .recent)).hits.first?.entry.name == "io.acme/hub")
        let first = try await store.searchCatalog(CatalogQuery(sort: .name, limit: 2))
        let second = try await store.searchCatalog(CatalogQuery(sort: .name, limit: 2, offset: 2))
        #expect(first.total == 3 && (first.hits + second.hits).map(\.entry.name) == ["io.acme/clock", "io.acme/git", "io.acme/hub"])
        let labels = try await store.catalogLabels(.category)
        #expect(labels.map(\.value) == ["developer-tools", "utilities"] && labels.map(\.count) == [2, 1])
    }

    @Test(arguments: StoreKind.allCases)
    func oneRatingPerIdentityEditableWithAverage(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putCatalogEntries(Self.entries)
        try await store.rateCatalogEntry(CatalogRatingRecord(entry: "io.acme/clock", identity: "key:a", stars: 2, review: "meh", createdMs: 1, updatedMs: 1))
        try await store.rateCatalogEntry(CatalogRatingRecord(entry: "io.acme/clock", identity: "key:b", stars: 5, review: "great", createdMs: 2, updatedMs: 2))
        try await store.rateCatalogEntry(CatalogRatingRecord(entry: "io.acme/clock", identity: "key:a", stars: 4, review: "better now", createdMs: 3, updatedMs: 3))
        let ratings = try await store.catalogRatings(entry: "io.acme/clock", limit: 10)
        #expect(ratings.map(\.identity) == ["key:a", "key:b"] && ratings[0].review == "better now" && ratings[0].createdMs == 1)
        let hit = try #require(try await store.catalogEntry(named: "io.acme/clock"))
        #expect(hit.ratingCount == 2 && hit.ratingAverage == 4.5)
        #expect(try await store.searchCatalog(CatalogQuery(sort: .rating)).hits.first?.entry.name == "io.acme/clock")
        await #expect(throws: StoreError.self) {
            try await store.rateCatalogEntry(CatalogRatingRecord(entry: "io.acme/none", identity: "key:a", stars: 3, review: "", createdMs: 1, updatedMs: 1))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func installsAreCountedForTrendingAndRemembered(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.putCatalogEntries(Self.entries)
        try await store.recordCatalogInstallEvent(entry: "io.acme/hub", identity: "local", atMs: 100)
        try await store.recordCatalogInstallEvent(entry: "io.acme/clock", identity: "local", atMs: 10)
        try await store.recordCatalogInstallEvent(entry: "io.acme/clock", identity: "local", atMs: 11)
        #expect(try await store.searchCatalog(CatalogQuery(sort: .installs)).hits.map(\.installs) == [2, 1, 0])
        let trending = try await store.searchCatalog(CatalogQuery(sort: .trending, trendingSinceMs: 50)).hits
        #expect(trending.map(\.entry.name) == ["io.acme/hub"] && trending[0].recentInstalls == 1)
        let install = CatalogInstallRecord(server: "hub", entry: "io.acme/hub", version: "1.0.0", kind: "remote", config: #"{"url":"https://x"}"#,
                                           consentIdentity: "key:op", consentMs: 100, domains: ["hub.example"], folders: [])
        try await store.putCatalogInstall(install)
        #expect(try await store.catalogInstalls() == [install])
        #expect(try await store.catalogEntry(named: "io.acme/hub")?.installed == true)
        #expect(try await store.searchCatalog(CatalogQuery(installed: true)).hits.map(\.entry.name) == ["io.acme/hub"])
        #expect(try await store.deleteCatalogInstall(server: "hub"))
        #expect(try await !store.deleteCatalogInstall(server: "hub"))
        #expect(try await store.catalogEntry(named: "io.acme/hub")?.installed == false)
    }
}
