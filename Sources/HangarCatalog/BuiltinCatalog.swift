import Foundation
import HangarCore
import HangarStore

/// The catalog shipped with Hangar (`Resources/builtin-catalog.json`): loaded into the store
/// on first start and again whenever its `version` changes.
public struct BuiltinCatalog: Sendable {
    /// Bumped whenever the shipped entries change.
    public let version: Int64
    public let servers: [ServerDocument]
    static let settingKey = "catalog.builtin.version"

    /// Parses the shipped resource.
    public static func load() throws(CatalogError) -> BuiltinCatalog {
        guard let url = resourceURL(), let data = try? Data(contentsOf: url) else {
            throw CatalogError(.notFound, "the built-in catalog resource is missing (Hangar_HangarCatalog.resources next to the hangar binary)")
        }
        return try parse(Array(data))
    }

    /// Parses `{"version": N, "servers": [server.json, ...]}`.
    public static func parse(_ bytes: [UInt8]) throws(CatalogError) -> BuiltinCatalog {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes, limits: .upstream) } catch { throw CatalogError(.invalid, "built-in catalog: \(error)") }
        guard let version = value["version"]?.intValue, let list = value["servers"]?.arrayValue else {
            throw CatalogError(.invalid, "built-in catalog: needs \"version\" and \"servers\"")
        }
        var servers: [ServerDocument] = []
        for item in list { servers.append(try ServerDocument(item)) }
        return BuiltinCatalog(version: version, servers: servers)
    }

    /// Puts the entries into the store unless this version is there already; true when it
    /// wrote them. Ratings and installs of entries stay.
    @discardableResult
    public func install(into store: any CatalogStore & SettingsStore, nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) async throws -> Bool {
        if let stored = try await store.setting(Self.settingKey), Int64(stored) == version { return false }
        // An entry the user removed stays removed when a newer built-in catalog arrives.
        let removed = Set(try await store.catalogTombstones(sinceMs: 0, limit: 1_000_000, offset: 0).records.map(\.name))
        try await store.putCatalogEntries(servers.filter { !removed.contains($0.name) }.map { $0.record(source: "builtin", nowMs: nowMs) })
        try await store.setSetting(Self.settingKey, String(version))
        return true
    }

    /// The resource bundle sits next to the executable (the daemon, or the test runner);
    /// found without `Bundle.module`, which stops the process when the bundle is missing.
    static func resourceURL() -> URL? {
        let name = "Hangar_HangarCatalog.resources/builtin-catalog.json"
        var dirs: [URL] = []
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() { dirs.append(exe.deletingLastPathComponent()) }
        dirs.append(Bundle.main.bundleURL)
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            dirs.append(exe.deletingLastPathComponent().deletingLastPathComponent())
        }
        for dir in dirs {
            let url = dir.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }
}
