/// The catalog (marketplace): entries in server.json form with Hangar's search fields,
/// ratings and reviews, install events (for counts and trending) and what is installed.
public protocol CatalogStore: Sendable {
    /// Adds or replaces entries by name in one transaction; ratings and install counts stay.
    func putCatalogEntries(_ entries: [CatalogEntryRecord]) async throws(StoreError)
    func catalogEntry(named name: String) async throws(StoreError) -> CatalogHit?
    /// Removes an entry with its ratings and leaves a tombstone (deleted at `atMs`) so that
    /// registries syncing from this one learn of the removal; false when there was none.
    /// Putting an entry of the same name again removes its tombstone.
    func deleteCatalogEntry(named name: String, atMs: Int64) async throws(StoreError) -> Bool
    /// Tombstones of entries deleted at or after `sinceMs`, by name, `limit` from `offset`,
    /// and how many there are in all.
    func catalogTombstones(sinceMs: Int64, limit: Int, offset: Int) async throws(StoreError) -> (records: [CatalogTombstoneRecord], total: Int)
    /// `updatedMs` of every entry whose `source` is this one, by name: what a sync from that
    /// registry already holds.
    func catalogSourceStamps(source: String) async throws(StoreError) -> [String: Int64]
    /// Entries matching the query in its order, `limit` from `offset`, and how many match.
    func searchCatalog(_ query: CatalogQuery) async throws(StoreError) -> CatalogPage
    /// Each category (or tag) with how many entries carry it, by name.
    func catalogLabels(_ kind: CatalogLabelKind) async throws(StoreError) -> [(value: String, count: Int)]

    /// Adds or replaces one identity's rating of an entry.
    func rateCatalogEntry(_ rating: CatalogRatingRecord) async throws(StoreError)
    /// Ratings of an entry, newest first.
    func catalogRatings(entry: String, limit: Int) async throws(StoreError) -> [CatalogRatingRecord]

    /// Counts one install of an entry (kept with its time, for trending).
    func recordCatalogInstallEvent(entry: String, identity: String, atMs: Int64) async throws(StoreError)
    /// Remembers a server installed from the catalog (with the consent given); replaces by server.
    func putCatalogInstall(_ install: CatalogInstallRecord) async throws(StoreError)
    func catalogInstalls() async throws(StoreError) -> [CatalogInstallRecord]
    func deleteCatalogInstall(server: String) async throws(StoreError) -> Bool
}
