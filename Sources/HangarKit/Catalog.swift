import HangarCore

/// Everything a server offers, in the order it was added (lists are deterministic).
struct Catalog: Sendable {
    var tools: OrderedDictionary<String, Tool> = [:]
    var resources: OrderedDictionary<String, Resource> = [:]
    var templates: [ResourceTemplate] = []
    var prompts: OrderedDictionary<String, Prompt> = [:]

    /// The `capabilities` object for `initialize` and `server/discover`.
    var capabilities: JSONValue {
        var o: JSONObject = ["tools": ["listChanged": true]]
        if !resources.isEmpty || !templates.isEmpty { o["resources"] = ["listChanged": true] }
        if !prompts.isEmpty { o["prompts"] = ["listChanged": true] }
        return .object(o)
    }

    /// The resource `uri` names, and the variables of its template if it came from one.
    func resource(for uri: String) -> ResourceContentsSource? {
        if let resource = resources[uri] { return .fixed(resource) }
        for template in templates {
            if let variables = template.matcher.match(uri) { return .template(template, variables) }
        }
        return nil
    }

    enum ResourceContentsSource: Sendable {
        case fixed(Resource)
        case template(ResourceTemplate, [String: String])
    }
}
