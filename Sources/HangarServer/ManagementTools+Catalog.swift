import HangarCore
import HangarPolicy

/// The catalog as MCP tools: `search_catalog` for everyone, `install_from_catalog` for
/// operators. Same documents as `/api/v1/catalog`.
extension ManagementTools {
    public static func catalogTools(_ catalog: CatalogService) -> [Tool] {
        [
            Tool(name: "search_catalog",
                 description: "Search Hangar's catalog of MCP servers: full text over names, descriptions, tool names and tags, with filters. Returns entries with their rating, installs and transport.",
                 inputSchema: ["type": "object", "additionalProperties": false, "properties": [
                    "query": ["type": "string"], "category": ["type": "string"], "tag": ["type": "string"],
                    "transport": ["enum": ["stdio", "remote"]], "installed": ["type": "boolean"], "featured": ["type": "boolean"],
                    "sort": ["enum": ["relevance", "rating", "installs", "recent", "trending", "name"]],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 100], "cursor": ["type": "string"],
                 ]],
                 role: .user) { args, _ in
                var parameters: [String: String] = [:]
                for (key, value) in args.objectValue ?? [:] {
                    let name = key == "query" ? "q" : key
                    switch value {
                    case .string(let s): parameters[name] = s
                    case .bool(let b): parameters[name] = b ? "true" : "false"
                    case .int(let i): parameters[name] = String(i)
                    default: break
                    }
                }
                return try await catalog.search(parameters: parameters)
            },
            Tool(name: "install_from_catalog",
                 description: "Install a catalog entry as a server on this Hangar: a PyPI package hosted in the sandbox, or a remote server. Give the values it asks for (secrets go to the vault); an entry that asks for network domains or folders needs acceptPermissions.",
                 inputSchema: ["type": "object", "required": ["name"], "additionalProperties": false, "properties": [
                    "name": ["type": "string", "description": "The entry's name, e.g. io.github.modelcontextprotocol/time"],
                    "server": ["type": "string", "description": "The server name to install it as"],
                    "values": ["type": "object", "additionalProperties": ["type": "string"]],
                    "acceptPermissions": ["type": "boolean"],
                 ]],
                 role: .operator) { args, caller in
                guard let name = args["name"]?.stringValue else { throw AdminAPI.BadRequest("\"name\" is required") }
                var values: [String: String] = [:]
                for (key, value) in args["values"]?.objectValue ?? [:] { values[key] = value.stringValue }
                return try await catalog.install(name, as: args["server"]?.stringValue, values: values,
                                                 acceptPermissions: args["acceptPermissions"]?.boolValue ?? false, by: caller.identity)
            },
        ]
    }
}
