import HangarCore
import HangarStore

/// One server in the official MCP registry's server.json format. The document is kept as
/// parsed, so fields Hangar does not know survive import and export; Hangar's own fields
/// live under `_meta["io.hangar/catalog"]` (see `CatalogMeta`).
public struct ServerDocument: Sendable, Hashable {
    /// The `_meta` key of Hangar's fields.
    public static let metaKey = "io.hangar/catalog"
    /// The `_meta` key the official registry puts its own metadata under (in list responses).
    public static let officialMetaKey = "io.modelcontextprotocol.registry/official"
    public static let schemaURL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

    public private(set) var json: JSONObject
    public let hangar: CatalogMeta

    /// Validates a server.json document; the error says which field is wrong and how.
    public init(_ value: JSONValue) throws(CatalogError) {
        guard case .object(let object) = value else { throw CatalogError(.invalid, "a server.json document must be a JSON object") }
        json = object
        guard let name = object["name"]?.stringValue, Self.isValidName(name) else {
            throw CatalogError(.invalid, "\"name\" must be a string like \"io.github.owner/server\" (reverse-DNS namespace, '/', then letters, digits, '.', '_' or '-')")
        }
        guard let description = object["description"]?.stringValue, !description.isEmpty else {
            throw CatalogError(.invalid, "\(name): \"description\" must be a non-empty string")
        }
        guard let version = object["version"]?.stringValue, !version.isEmpty, version.utf8.count <= 255 else {
            throw CatalogError(.invalid, "\(name): \"version\" must be a non-empty string such as \"1.0.2\"")
        }
        for key in ["packages", "remotes"] {
            if let list = object[key], list.arrayValue?.allSatisfy({ $0.objectValue != nil }) != true {
                throw CatalogError(.invalid, "\(name): \"\(key)\" must be a list of objects")
            }
        }
        for (i, p) in (object["packages"]?.arrayValue ?? []).enumerated() {
            guard p["registryType"]?.stringValue != nil, p["identifier"]?.stringValue != nil else {
                throw CatalogError(.invalid, "\(name): packages[\(i)] needs \"registryType\" (e.g. \"pypi\") and \"identifier\" (the package name)")
            }
        }
        for (i, r) in (object["remotes"]?.arrayValue ?? []).enumerated() {
            guard let url = r["url"]?.stringValue, url.hasPrefix("https://") || url.hasPrefix("http://"), r["type"]?.stringValue != nil else {
                throw CatalogError(.invalid, "\(name): remotes[\(i)] needs \"type\" (e.g. \"streamable-http\") and an http(s) \"url\"")
            }
        }
        if let meta = object["_meta"], meta.objectValue == nil { throw CatalogError(.invalid, "\(name): \"_meta\" must be an object") }
        hangar = try CatalogMeta(object["_meta"]?[Self.metaKey], server: name)
    }

    /// Validates every document; an error names the failing one's index.
    public static func all(_ items: [JSONValue]) throws(CatalogError) -> [ServerDocument] {
        var out: [ServerDocument] = []
        for (i, item) in items.enumerated() {
            do {
                out.append(try ServerDocument(item))
            } catch {
                throw CatalogError(.invalid, items.count > 1 ? "servers[\(i)]: \(error.message)" : error.message)
            }
        }
        return out
    }

    public var name: String { json["name"]?.stringValue ?? "" }
    public var version: String { json["version"]?.stringValue ?? "" }
    public var description: String { json["description"]?.stringValue ?? "" }
    /// The display title: `title`, else the part of the name after the slash.
    public var title: String { json["title"]?.stringValue ?? String(name.split(separator: "/").last ?? "") }
    public var packages: [JSONValue] { json["packages"]?.arrayValue ?? [] }
    public var remotes: [JSONValue] { json["remotes"]?.arrayValue ?? [] }
    /// `remote` when the server is reached at a URL and has no package, else `stdio`.
    public var transport: String { packages.isEmpty && !remotes.isEmpty ? "remote" : "stdio" }

    /// The document without registry-added metadata (what `export` writes).
    public var exported: JSONValue {
        var out = json
        if var meta = out["_meta"]?.objectValue {
            meta.removeValue(forKey: Self.officialMetaKey)
            out["_meta"] = meta.isEmpty ? nil : .object(meta)
        }
        return .object(out)
    }

    /// The row the store keeps for this document.
    public func record(source: String, nowMs: Int64, publishedMs: Int64? = nil, updatedMs: Int64? = nil) -> CatalogEntryRecord {
        CatalogEntryRecord(
            name: name, version: version, title: title, description: description, document: JSONWriter.string(exported),
            categories: hangar.categories, tags: hangar.tags,
            toolText: hangar.tools.map { "\($0.name.replacingOccurrences(of: "_", with: " ")) \($0.name) \($0.description)" }.joined(separator: " "),
            transport: transport, featured: hangar.featured, source: source,
            publishedMs: publishedMs ?? nowMs, updatedMs: updatedMs ?? nowMs)
    }

    static func isValidName(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, (3...200).contains(name.utf8.count) else { return false }
        func ok(_ s: Substring, extra: Set<UInt8>) -> Bool {
            !s.isEmpty && s.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || extra.contains(c)
            }
        }
        return ok(parts[0], extra: [0x2E, 0x2D]) && ok(parts[1], extra: [0x2E, 0x5F, 0x2D])
    }
}

/// Hangar's fields of an entry (`_meta["io.hangar/catalog"]`): how to find it and what it
/// asks for. Labels are lower-case.
public struct CatalogMeta: Sendable, Hashable {
    public struct Tool: Sendable, Hashable {
        public var name: String
        public var description: String
    }
    public var categories: [String] = []
    public var tags: [String] = []
    public var featured = false
    /// Network domains the server needs (its egress allowlist).
    public var network: [String] = []
    /// Folders the server asks to read.
    public var folders: [String] = []
    public var tools: [Tool] = []

    init(_ value: JSONValue?, server: String) throws(CatalogError) {
        guard let value else { return }
        let at = "\(server): _meta.\"\(ServerDocument.metaKey)\""
        guard let o = value.objectValue else { throw CatalogError(.invalid, "\(at) must be an object") }
        func strings(_ key: String, lower: Bool) throws(CatalogError) -> [String] {
            guard let v = o[key] else { return [] }
            guard let list = v.arrayValue, let s = Optional(list.compactMap(\.stringValue)), s.count == list.count,
                  s.allSatisfy({ !$0.isEmpty && !$0.contains("\n") && $0.utf8.count <= 200 }) else {
                throw CatalogError(.invalid, "\(at).\(key) must be a list of non-empty one-line strings")
            }
            return lower ? s.map { $0.lowercased() } : s
        }
        categories = try strings("categories", lower: true)
        tags = try strings("tags", lower: true)
        if let f = o["featured"] {
            guard let b = f.boolValue else { throw CatalogError(.invalid, "\(at).featured must be true or false") }
            featured = b
        }
        let permissions = o["permissions"]
        if let p = permissions, p.objectValue == nil { throw CatalogError(.invalid, "\(at).permissions must be an object with network and folders") }
        for (key, path) in [("network", \CatalogMeta.network), ("folders", \CatalogMeta.folders)] {
            guard let v = permissions?[key] else { continue }
            guard let list = v.arrayValue, list.allSatisfy({ $0.stringValue?.isEmpty == false }) else {
                throw CatalogError(.invalid, "\(at).permissions.\(key) must be a list of strings")
            }
            self[keyPath: path] = list.compactMap(\.stringValue)
        }
        if let t = o["tools"] {
            guard let list = t.arrayValue else { throw CatalogError(.invalid, "\(at).tools must be a list of {name, description}") }
            for item in list {
                guard let n = item["name"]?.stringValue, !n.isEmpty else { throw CatalogError(.invalid, "\(at).tools: every tool needs a \"name\"") }
                tools.append(Tool(name: n, description: item["description"]?.stringValue ?? ""))
            }
        }
    }
}
