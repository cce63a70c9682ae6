import AsyncHTTPClient
import Foundation
import HangarCore
import NIOCore

/// Reads servers from any registry that speaks the official v0 API (`GET /v0/servers` with
/// `cursor`, `limit`, `updated_since`), following `metadata.nextCursor` to the end.
public struct RegistryClient: Sendable {
    /// One server as a registry lists it, with the registry's own metadata.
    public struct Listed: Sendable {
        public var document: ServerDocument
        /// `active`, `deprecated`, `deleted` (from `_meta["io.modelcontextprotocol.registry/official"]`).
        public var status: String
        public var isLatest: Bool
        public var publishedMs: Int64?
        public var updatedMs: Int64?
    }

    /// The registry's base URL (`https://registry.modelcontextprotocol.io`).
    public let base: String
    /// Sent as `Authorization: Bearer` (another Hangar under --auth required); never logged.
    let bearer: String?
    let pageSize: Int
    /// Most pages read in one sync, so a registry that never ends a listing cannot hang it.
    let maxPages: Int

    public init(base: String, bearer: String? = nil, pageSize: Int = 100, maxPages: Int = 1000) {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v0") { base.removeLast(3) }
        self.base = base
        self.bearer = bearer
        self.pageSize = pageSize
        self.maxPages = maxPages
    }

    /// Every server (latest versions) updated since the given time; entries the registry
    /// cannot describe validly are skipped and counted.
    public func list(updatedSince: Date? = nil) async throws(CatalogError) -> (servers: [Listed], skipped: Int) {
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw CatalogError(.invalid, "the registry URL must start with http:// or https://")
        }
        var out: [Listed] = []
        var skipped = 0
        var cursor: String?
        for _ in 0..<maxPages {
            var query = ["limit=\(pageSize)"]
            if let cursor { query.append("cursor=\(Self.encode(cursor))") }
            if let updatedSince { query.append("updated_since=\(Self.encode(ISO8601DateFormatter().string(from: updatedSince)))") }
            let page = try await get("/v0/servers?" + query.joined(separator: "&"))
            guard let items = page["servers"]?.arrayValue else {
                throw CatalogError(.upstream, "\(base) did not answer with a v0 server list (no \"servers\" array)")
            }
            for item in items {
                // The current shape wraps each server ({"server": {...}, "_meta": {...}}); older
                // registries list server.json documents directly.
                let server = item["server"] ?? item
                let official = item["_meta"]?[ServerDocument.officialMetaKey] ?? server["_meta"]?[ServerDocument.officialMetaKey]
                guard let document = try? ServerDocument(server) else { skipped += 1; continue }
                out.append(Listed(document: document, status: official?["status"]?.stringValue ?? "active",
                                  isLatest: official?["isLatest"]?.boolValue ?? true,
                                  publishedMs: official?["publishedAt"]?.stringValue.flatMap(Self.milliseconds),
                                  updatedMs: official?["updatedAt"]?.stringValue.flatMap(Self.milliseconds)))
            }
            guard let next = page["metadata"]?["nextCursor"]?.stringValue, !next.isEmpty, !items.isEmpty else { break }
            cursor = next
        }
        return (out, skipped)
    }

    func get(_ pathAndQuery: String) async throws(CatalogError) -> JSONValue {
        var request = HTTPClientRequest(url: base + pathAndQuery)
        request.headers.add(name: "Accept", value: "application/json")
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 32 << 20)
            guard response.status.code == 200 else {
                throw CatalogError(.upstream, "\(base) answered HTTP \(response.status.code) to GET \(pathAndQuery.prefix(200))")
            }
            return try JSONParser.parse(Array(body.readableBytesView), limits: .upstream)
        } catch let e as CatalogError {
            throw e
        } catch {
            throw CatalogError(.upstream, "cannot read \(base)/v0/servers: \(error)")
        }
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+/?#:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func milliseconds(_ text: String) -> Int64? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        return (f.date(from: text) ?? plain.date(from: text)).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
