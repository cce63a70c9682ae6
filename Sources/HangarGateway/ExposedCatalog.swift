import HangarCore

/// What one upstream offers, as last listed.
public struct ServerSnapshot: Sendable {
    public var server: String
    public var tools: [JSONValue] = []
    public var prompts: [JSONValue] = []
    public var resources: [JSONValue] = []
    public var resourceTemplates: [JSONValue] = []

    public init(server: String, tools: [JSONValue] = [], prompts: [JSONValue] = [], resources: [JSONValue] = [], resourceTemplates: [JSONValue] = []) {
        self.server = server
        self.tools = tools
        self.prompts = prompts
        self.resources = resources
        self.resourceTemplates = resourceTemplates
    }
}

/// The aggregate of every upstream, and the table that routes an exposed name back to
/// (server, original name). Names are never split to route: only this table decides.
public struct ExposedCatalog: Sendable {
    /// A tool or prompt under its exposed name.
    public struct Entry: Sendable {
        public var exposedName: String
        public var server: String
        public var originalName: String
        /// The upstream's definition with `name` replaced by the exposed name.
        public var definition: JSONValue
    }

    /// A resource or template; URIs are never rewritten.
    public struct ResourceEntry: Sendable {
        public var key: String
        public var server: String
        public var definition: JSONValue
        var template: URITemplate?
    }

    public private(set) var tools: [Entry] = []
    public private(set) var prompts: [Entry] = []
    public private(set) var resources: [ResourceEntry] = []
    public private(set) var resourceTemplates: [ResourceEntry] = []
    private var toolIndex: [String: Int] = [:]
    private var promptIndex: [String: Int] = [:]
    private var resourceIndex: [String: Int] = [:]
    /// Human-readable reports of every name collision and how it was resolved.
    public private(set) var collisions: [String] = []

    public init() {}

    /// Builds the aggregate. `snapshots` are in config order, which decides who keeps a contested name:
    /// the first server keeps it; a later one gets its prefixed name, then `_2`, `_3`, ... until unique.
    public init(snapshots: [ServerSnapshot], naming: NamingPolicy) {
        for snapshot in snapshots {
            Self.expose(snapshot.tools, kind: "tool", server: snapshot.server, naming: naming, into: &tools, index: &toolIndex, collisions: &collisions)
            Self.expose(snapshot.prompts, kind: "prompt", server: snapshot.server, naming: naming, into: &prompts, index: &promptIndex, collisions: &collisions)
            for resource in snapshot.resources {
                guard let uri = resource["uri"]?.stringValue else { continue }
                if let owner = resourceIndex[uri] {
                    collisions.append("resource '\(uri)' of '\(snapshot.server)' is hidden: '\(resources[owner].server)' lists the same URI first")
                    continue
                }
                resourceIndex[uri] = resources.count
                resources.append(ResourceEntry(key: uri, server: snapshot.server, definition: resource, template: nil))
            }
            for template in snapshot.resourceTemplates {
                guard let uriTemplate = template["uriTemplate"]?.stringValue else { continue }
                resourceTemplates.append(ResourceEntry(key: uriTemplate, server: snapshot.server, definition: template, template: URITemplate(uriTemplate)))
            }
        }
    }

    /// Adds a server's tools or prompts under their exposed names.
    private static func expose(_ items: [JSONValue], kind: String, server: String, naming: NamingPolicy,
                               into entries: inout [Entry], index: inout [String: Int], collisions: inout [String]) {
        for item in items {
            guard let name = item["name"]?.stringValue else { continue }
            let exposed = claim(name, server: server, kind: kind, naming: naming, taken: index, collisions: &collisions)
            var definition = item
            definition["name"] = .string(exposed)
            index[exposed] = entries.count
            entries.append(Entry(exposedName: exposed, server: server, originalName: name, definition: definition))
        }
    }

    private static func claim(_ name: String, server: String, kind: String, naming: NamingPolicy, taken: [String: Int],
                              collisions: inout [String]) -> String {
        let prefixed = server + naming.separator + name
        let first = naming.prefix ? prefixed : name
        if taken[first] == nil { return first }
        var candidate = prefixed
        var n = 2
        while taken[candidate] != nil {
            candidate = prefixed + "_\(n)"
            n += 1
        }
        collisions.append("\(kind) '\(name)' of '\(server)' is exposed as '\(candidate)': '\(first)' was already taken")
        return candidate
    }

    public func tool(named exposed: String) -> Entry? { toolIndex[exposed].map { tools[$0] } }
    public func prompt(named exposed: String) -> Entry? { promptIndex[exposed].map { prompts[$0] } }

    /// The server that serves a URI: the one that lists it, else the first whose template matches.
    public func server(forResource uri: String) -> String? {
        if let i = resourceIndex[uri] { return resources[i].server }
        return resourceTemplates.first { $0.template?.matches(uri) == true }?.server
    }
}
