import Foundation
import HangarCatalog
import HangarCore
import HangarGateway
import HangarPolicy
import HangarStore
import Logging

/// The catalog as the daemon serves it: search, entries, ratings, import/export, sync and
/// installs. Every method takes plain parameters and returns the JSON document the REST API
/// answers with, so REST routes and MCP tools (`search_catalog`, `install_from_catalog`) are
/// thin calls. Failures are `CatalogError` (or the store's and policy's own errors).
public final class CatalogService: Sendable {
    let store: any CatalogStore & SettingsStore
    let gateway: Gateway
    let hosted: HostedServers?
    let logger: Logger
    var policy: PolicyPlane { gateway.policy }

    public init(store: any CatalogStore & SettingsStore, gateway: Gateway, hosted: HostedServers?, logger: Logger) {
        self.store = store
        self.gateway = gateway
        self.hosted = hosted
        self.logger = logger
    }

    /// At daemon start: loads the built-in catalog when it is new or changed, and re-adds the
    /// remote servers installed from the catalog (hosted ones come back with `hosted.restore()`).
    public func restore() async throws {
        do {
            let builtin = try BuiltinCatalog.load()
            if try await builtin.install(into: store) {
                logger.info("built-in catalog loaded", metadata: ["hangar.catalog.version": "\(builtin.version)", "count": "\(builtin.servers.count)"])
            }
        } catch let e as CatalogError {
            logger.error("the built-in catalog could not be loaded", metadata: ["error": "\(e.message)"])
        }
        try await restoreRemoteInstalls()
    }

    // MARK: Reading

    /// `{"results": [summary], "total": N, "nextCursor": "..."?}`.
    public func search(_ request: CatalogSearchRequest) async throws -> JSONValue {
        let query = try request.query(nowMs: WallClock.milliseconds())
        let page = try await store.searchCatalog(query)
        var o: JSONObject = ["results": .array(page.hits.map(CatalogDocuments.summary)), "total": .int(Int64(page.total))]
        let next = query.offset + page.hits.count
        if next < page.total, !page.hits.isEmpty { o["nextCursor"] = .string(CatalogSearchRequest.cursor(offset: next)) }
        return .object(o)
    }

    /// Search from query-string style parameters (`q`, `category`, `tag`, `transport`,
    /// `installed`, `featured`, `sort`, `limit`, `cursor`, `days`).
    public func search(parameters: [String: String]) async throws -> JSONValue {
        try await search(try CatalogSearchRequest(parameters: parameters))
    }

    /// One entry in full (see `CatalogDocuments.detail`); `CatalogError.notFound` when unknown.
    public func entry(_ name: String) async throws -> JSONValue {
        let hit = try await requireEntry(name)
        return CatalogDocuments.detail(hit, reviews: try await store.catalogRatings(entry: name, limit: 10))
    }

    /// `{"categories": [{"name", "count"}], "tags": [...]}`.
    public func labels() async throws -> JSONValue {
        func list(_ kind: CatalogLabelKind) async throws -> JSONValue {
            .array(try await store.catalogLabels(kind).map { ["name": .string($0.value), "count": .int(Int64($0.count))] })
        }
        return ["categories": try await list(.category), "tags": try await list(.tag)]
    }

    func requireEntry(_ name: String) async throws -> CatalogHit {
        guard let hit = try await store.catalogEntry(named: name) else {
            throw CatalogError(.notFound, "no catalog entry named \(name); find names with `hangar catalog search`")
        }
        return hit
    }

    // MARK: Ratings

    /// Adds or replaces the identity's rating; returns the entry's new average and count.
    public func rate(_ name: String, stars: Int, review: String, by identity: Identity) async throws -> JSONValue {
        guard (1...5).contains(stars) else { throw CatalogError(.invalid, "stars must be an integer from 1 to 5, not \(stars)") }
        guard review.count <= 4000 else { throw CatalogError(.invalid, "a review has at most 4000 characters") }
        _ = try await requireEntry(name)
        let now = WallClock.milliseconds()
        try await store.rateCatalogEntry(CatalogRatingRecord(entry: name, identity: identity.name, stars: stars, review: review,
                                                             createdMs: now, updatedMs: now))
        policy.record(AuditEntry(identity: identity.name, action: "catalog.rate", target: name, outcome: "ok", detail: "\(stars) stars"))
        let hit = try await requireEntry(name)
        return ["name": .string(name), "stars": .int(Int64(stars)), "rating": CatalogDocuments.summary(hit)["rating"] ?? .null]
    }

    /// `{"name", "rating", "reviews": [...]}`, newest first.
    public func reviews(_ name: String, limit: Int = 50) async throws -> JSONValue {
        let hit = try await requireEntry(name)
        let list = try await store.catalogRatings(entry: name, limit: limit)
        return ["name": .string(name), "rating": CatalogDocuments.summary(hit)["rating"] ?? .null, "reviews": .array(list.map(CatalogDocuments.review))]
    }

    // MARK: Import, export, sync

    /// Imports one server.json, `{"servers": [...]}` of server.json documents, or a v0 list
    /// response. All are validated before any is stored.
    public func importDocuments(_ value: JSONValue, by identity: Identity) async throws -> JSONValue {
        let items: [JSONValue]
        if let list = value["servers"]?.arrayValue {
            items = list.map { $0["server"] ?? $0 }
        } else if value["name"] != nil {
            items = [value]
        } else {
            throw CatalogError(.invalid, "the body must be a server.json document or {\"servers\": [server.json, ...]}")
        }
        guard !items.isEmpty else { throw CatalogError(.invalid, "\"servers\" is empty: nothing to import") }
        let documents = try ServerDocument.all(items)
        let now = WallClock.milliseconds()
        try await store.putCatalogEntries(documents.map { $0.record(source: "import", nowMs: now) })
        policy.record(AuditEntry(identity: identity.name, action: "catalog.import", target: "catalog", outcome: "ok", detail: "\(documents.count) entries"))
        return ["imported": .int(Int64(documents.count)), "names": .array(documents.map { .string($0.name) })]
    }

    /// One entry's server.json, or `{"servers": [...]}` of every entry.
    public func export(_ name: String?) async throws -> JSONValue {
        if let name {
            return (try? JSONParser.parse(try await requireEntry(name).entry.document, limits: .upstream)) ?? .null
        }
        var all: [JSONValue] = []
        var offset = 0
        while true {
            let page = try await store.searchCatalog(CatalogQuery(sort: .name, limit: 500, offset: offset))
            all += page.hits.compactMap { try? JSONParser.parse($0.entry.document, limits: .upstream) }
            offset += page.hits.count
            if page.hits.isEmpty || offset >= page.total { break }
        }
        return ["servers": .array(all)]
    }

    /// Removes an entry from the catalog (servers installed from it keep running); registries
    /// syncing from this one see it as deleted.
    public func remove(_ name: String, by identity: Identity) async throws -> JSONValue {
        guard try await store.deleteCatalogEntry(named: name, atMs: WallClock.milliseconds()) else {
            throw CatalogError(.notFound, "no catalog entry named \(name); find names with `hangar catalog search`")
        }
        policy.record(AuditEntry(identity: identity.name, action: "catalog.remove", target: name, outcome: "ok"))
        return ["removed": .string(name)]
    }

    static func syncMarkKey(_ registry: String) -> String { "catalog.sync." + registry }

    /// Pulls the active, latest servers from a registry speaking the v0 API. After the first
    /// sync only what changed since the previous one is asked for (`updated_since`, from the
    /// registry's own `updatedAt` times, so clocks need not agree); `full` asks for everything.
    /// Entries the registry marks deleted are removed here when they came from it.
    public func sync(from url: String, bearer: String? = nil, full: Bool = false, by identity: Identity) async throws -> JSONValue {
        let client = RegistryClient(base: url, bearer: bearer)
        let markKey = Self.syncMarkKey(client.base)
        let mark = full ? nil : try await store.setting(markKey).flatMap { Int64($0) }
        let (listed, skipped) = try await client.list(updatedSince: mark.map { Date(timeIntervalSince1970: Double($0) / 1000) })
        let now = WallClock.milliseconds()
        let held = try await store.catalogSourceStamps(source: client.base)
        var changed: [CatalogEntryRecord] = []
        var removed: [String] = []
        var unchanged = 0, ignored = 0
        for item in listed {
            if item.status == "deleted" {
                if held[item.document.name] != nil { removed.append(item.document.name) } else { ignored += 1 }
                continue
            }
            guard item.isLatest else { ignored += 1; continue }
            let updated = item.updatedMs ?? now
            if held[item.document.name] == updated { unchanged += 1; continue }
            changed.append(item.document.record(source: client.base, nowMs: now, publishedMs: item.publishedMs, updatedMs: updated))
        }
        try await store.putCatalogEntries(changed)
        for name in removed { _ = try await store.deleteCatalogEntry(named: name, atMs: now) }
        let newest = listed.compactMap(\.updatedMs).max()
        if let high = [mark, newest].compactMap({ $0 }).max() { try await store.setSetting(markKey, String(high)) }
        policy.record(AuditEntry(identity: identity.name, action: "catalog.sync", target: client.base, outcome: "ok",
                                 detail: "\(changed.count) stored, \(removed.count) removed, \(unchanged) unchanged, \(skipped) skipped"))
        var reply: JSONObject = [
            "registry": .string(client.base), "synced": .int(Int64(changed.count)), "removed": .int(Int64(removed.count)),
            "unchanged": .int(Int64(unchanged)), "skipped": .int(Int64(skipped + ignored)), "incremental": .bool(mark != nil),
        ]
        if let mark { reply["since"] = .string(CatalogDocuments.iso(mark)) }
        return .object(reply)
    }

    // MARK: The official v0 registry API

    /// `GET /v0/servers`: `cursor`, `limit` (1-100, default 30), `search`, `updated_since`.
    public func v0List(parameters p: [String: String]) async throws -> JSONValue {
        var limit = 30
        if let l = p["limit"] {
            guard let n = Int(l), (1...100).contains(n) else { throw CatalogError(.invalid, "limit must be an integer from 1 to 100") }
            limit = n
        }
        var since: Int64?
        if let s = p["updated_since"] {
            guard let ms = Self.milliseconds(fromRFC3339: s) else { throw CatalogError(.invalid, "updated_since must be an RFC 3339 time, e.g. 2025-08-07T13:15:04Z") }
            since = ms
        }
        let offset = try p["cursor"].map(CatalogSearchRequest.offset(fromCursor:)) ?? 0
        let page = try await store.searchCatalog(CatalogQuery(text: p["search"], updatedSinceMs: since, sort: .name, limit: limit, offset: offset))
        var items = page.hits.map(CatalogDocuments.v0Item)
        var total = page.total
        // A listing of changes (updated_since without search) ends with the entries deleted
        // since then, as status "deleted", so that a syncing registry removes them too.
        if let since, p["search"] == nil {
            let tombstones = try await store.catalogTombstones(sinceMs: since, limit: limit - items.count,
                                                               offset: max(0, offset - page.total))
            if items.count < limit { items += tombstones.records.map(CatalogDocuments.v0Item) }
            total += tombstones.total
        }
        var metadata: JSONObject = ["count": .int(Int64(items.count))]
        let next = offset + items.count
        if next < total, !items.isEmpty { metadata["nextCursor"] = .string(CatalogSearchRequest.cursor(offset: next)) }
        return ["servers": .array(items), "metadata": .object(metadata)]
    }

    /// `GET /v0/servers/{name}/versions/{version}` (`latest` or the stored version).
    public func v0Version(name: String, version: String) async throws -> JSONValue {
        let hit = try await requireEntry(name)
        guard version == "latest" || version == hit.entry.version else {
            throw CatalogError(.notFound, "\(name) has no version \(version) here; this registry keeps \(hit.entry.version) (also as \"latest\")")
        }
        return CatalogDocuments.v0Item(hit)
    }

    static func milliseconds(fromRFC3339 text: String) -> Int64? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (f.date(from: text) ?? ISO8601DateFormatter().date(from: text)).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
