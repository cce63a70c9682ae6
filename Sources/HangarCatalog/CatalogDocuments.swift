import Foundation
import HangarCore
import HangarStore

/// The JSON documents the catalog answers with, the same over REST, MCP tools and the CLI's
/// `--json`, plus the official v0 registry shapes.
public enum CatalogDocuments {
    /// A search hit: what a result list shows.
    public static func summary(_ hit: CatalogHit) -> JSONValue {
        let e = hit.entry
        var o: JSONObject = [
            "name": .string(e.name), "title": .string(e.title), "description": .string(e.description), "version": .string(e.version),
            "transport": .string(e.transport), "categories": .array(e.categories.map { .string($0) }),
            "tags": .array(e.tags.map { .string($0) }), "featured": .bool(e.featured), "installs": .int(Int64(hit.installs)),
            "rating": rating(hit), "installed": .bool(hit.installed), "source": .string(e.source), "updatedMs": .int(e.updatedMs),
        ]
        if hit.recentInstalls > 0 { o["recentInstalls"] = .int(Int64(hit.recentInstalls)) }
        return .object(o)
    }

    static func rating(_ hit: CatalogHit) -> JSONValue {
        ["average": hit.ratingAverage.map { .double(($0 * 100).rounded() / 100) } ?? .null, "count": .int(Int64(hit.ratingCount))]
    }

    /// One entry in full: the summary, its server.json, its tools, the values an install
    /// asks for, its declared permissions and the newest reviews.
    public static func detail(_ hit: CatalogHit, reviews: [CatalogRatingRecord]) -> JSONValue {
        guard case .object(var o) = summary(hit) else { return .null }
        let server = (try? JSONParser.parse(hit.entry.document, limits: .upstream)) ?? .null
        o["server"] = server
        if let doc = try? ServerDocument(server) {
            o["tools"] = .array(doc.hangar.tools.map { ["name": .string($0.name), "description": .string($0.description)] })
            o["permissions"] = ["network": .array(doc.hangar.network.map { .string($0) }), "folders": .array(doc.hangar.folders.map { .string($0) })]
            let inputs = try? InstallPlan.inputs(for: doc)
            o["inputs"] = .array((inputs ?? []).map(input))
            o["installable"] = .bool(inputs != nil)
        }
        o["reviews"] = .array(reviews.map(review))
        return .object(o)
    }

    public static func input(_ i: InstallPlan.Input) -> JSONValue {
        var o: JSONObject = ["key": .string(i.key), "description": .string(i.description), "isSecret": .bool(i.isSecret),
                             "isRequired": .bool(i.isRequired)]
        if let d = i.defaultValue, !i.isSecret { o["default"] = .string(d) }
        return .object(o)
    }

    public static func review(_ r: CatalogRatingRecord) -> JSONValue {
        ["identity": .string(r.identity), "stars": .int(Int64(r.stars)), "review": .string(r.review),
         "createdMs": .int(r.createdMs), "updatedMs": .int(r.updatedMs)]
    }

    public static func install(_ i: CatalogInstallRecord) -> JSONValue {
        ["server": .string(i.server), "entry": .string(i.entry), "version": .string(i.version), "kind": .string(i.kind),
         "consent": ["identity": .string(i.consentIdentity), "atMs": .int(i.consentMs),
                     "network": .array(i.domains.map { .string($0) }), "folders": .array(i.folders.map { .string($0) })]]
    }

    /// A v0 list item: `{"server": server.json, "_meta": {official: {...}}}`.
    public static func v0Item(_ hit: CatalogHit) -> JSONValue {
        let server = (try? JSONParser.parse(hit.entry.document, limits: .upstream)) ?? .null
        let official: JSONValue = ["status": "active", "publishedAt": .string(iso(hit.entry.publishedMs)),
                                   "updatedAt": .string(iso(hit.entry.updatedMs)), "isLatest": true]
        return ["server": server, "_meta": .object([ServerDocument.officialMetaKey: official])]
    }

    /// A deleted entry as the v0 API lists it: its last document, status `deleted`.
    public static func v0Item(_ tombstone: CatalogTombstoneRecord) -> JSONValue {
        let server = (try? JSONParser.parse(tombstone.document, limits: .upstream)) ?? ["name": .string(tombstone.name)]
        let official: JSONValue = ["status": "deleted", "updatedAt": .string(iso(tombstone.deletedMs)), "isLatest": true]
        return ["server": server, "_meta": .object([ServerDocument.officialMetaKey: official])]
    }

    public static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
