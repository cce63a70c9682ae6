import HangarCore

/// Turns a schema document into a `SchemaProgram`: indexes every `$id`/`$anchor`/`$dynamicAnchor`
/// (of the schema and of any registry document it references), resolves every `$ref` to a node
/// index, and checks each keyword's value. Runs once per schema.
struct SchemaCompiler {
    struct Location: Hashable {
        let doc: Int
        let pointer: String
    }

    struct Info {
        let base: String
        let rules: DialectRules
    }

    /// Base URI of a schema that has no `$id`; relative `$ref`s resolve against it.
    static let defaultBase = "urn:hangar:schema"

    let registry: SchemaRegistry
    let options: JSONSchema.Options
    var documents: [JSONValue] = []
    var documentURIs: [String] = []
    var resources: [String: Location] = [:]
    var anchors: [String: Location] = [:]
    var dynamicAnchorsByURI: [String: [String: Location]] = [:]
    var info: [Location: Info] = [:]
    var compiled: [Location: Int] = [:]
    var nodes: [SchemaNode?] = []
    var resourceIDs: [String: Int] = [:]
    var programResources: [SchemaResource] = []
    var pendingAnchors: [(resource: Int, name: String, location: Location)] = []
    var usesDynamicScope = false

    init(registry: SchemaRegistry, options: JSONSchema.Options) {
        self.registry = registry
        self.options = options
    }

    /// Compiles `schema` (the root document) and everything it references.
    mutating func compileRoot(_ schema: JSONValue, dialect: JSONSchema.Dialect?) throws(SchemaError) -> (SchemaProgram, JSONSchema.Dialect) {
        let rules = DialectRules(dialect ?? .draft2020_12, assertFormats: options.assertFormats)
        addDocument(schema, uri: Self.defaultBase, rules: rules)
        let root = Location(doc: 0, pointer: "")
        let rootIndex = try compile(root)
        while let pending = pendingAnchors.popLast() {
            let index = try compile(pending.location)
            programResources[pending.resource].dynamicAnchors[pending.name] = index
        }
        let program = SchemaProgram(
            nodes: nodes.map { $0 ?? SchemaNode(keywords: [], resource: 0, location: "", needsAnnotations: false, isFalse: false) },
            resources: programResources, root: rootIndex, usesDynamicScope: usesDynamicScope)
        return (program, info[root]?.rules.draft ?? rules.draft)
    }

    // MARK: Documents and the identifier index

    mutating func addDocument(_ document: JSONValue, uri: String, rules: DialectRules) {
        let doc = documents.count
        documents.append(document)
        documentURIs.append(uri)
        let root = Location(doc: doc, pointer: "")
        if resources[uri] == nil { resources[uri] = root }
        index(document, at: root, base: uri, rules: rules, isResourceRoot: true)
    }

    /// Records base URI and dialect of every subschema under `location`, and its identifiers.
    mutating func index(_ value: JSONValue, at location: Location, base: String, rules: DialectRules, isResourceRoot: Bool) {
        guard case .object(let object) = value else {
            info[location] = Info(base: base, rules: rules)
            return
        }
        var base = base
        var rules = rules
        let id = object["$id"]?.stringValue
        if let schemaURI = object["$schema"]?.stringValue, isResourceRoot || id != nil {
            rules = self.rules(forSchemaURI: schemaURI, fallback: rules, depth: 0)
        }
        let ignoresSiblings = rules.draft == .draft7 && object["$ref"] != nil
        if let id, !ignoresSiblings {
            let (uri, fragment) = SchemaURI.split(SchemaURI.resolve(id, against: base))
            if let fragment, !fragment.isEmpty, rules.draft == .draft7 {
                anchors[uri + "#" + fragment] = location  // draft-07 `"$id": "#name"` is an anchor
                if !id.hasPrefix("#") {
                    base = uri
                    if resources[uri] == nil { resources[uri] = location }
                }
            } else {
                base = uri
                resources[uri] = location
            }
        }
        if rules.draft == .draft2020_12 {
            if let anchor = object["$anchor"]?.stringValue { anchors[base + "#" + anchor] = location }
            if let anchor = object["$dynamicAnchor"]?.stringValue {
                if anchors[base + "#" + anchor] == nil { anchors[base + "#" + anchor] = location }
                dynamicAnchorsByURI[base, default: [:]][anchor] = location
            }
        }
        info[location] = Info(base: base, rules: rules)
        for (keyword, member) in object {
            let child = location.pointer + "/" + JSONPointer.escape(keyword)
            switch Self.subschemaShape(keyword, rules.draft) {
            case .none: continue
            case .single:
                if case .array(let items) = member, keyword == "items" {
                    for (i, item) in items.enumerated() {
                        index(item, at: Location(doc: location.doc, pointer: child + "/\(i)"), base: base, rules: rules, isResourceRoot: false)
                    }
                } else {
                    index(member, at: Location(doc: location.doc, pointer: child), base: base, rules: rules, isResourceRoot: false)
                }
            case .list:
                guard case .array(let items) = member else { continue }
                for (i, item) in items.enumerated() {
                    index(item, at: Location(doc: location.doc, pointer: child + "/\(i)"), base: base, rules: rules, isResourceRoot: false)
                }
            case .map:
                guard case .object(let members) = member else { continue }
                for (name, item) in members {
                    if keyword == "dependencies", case .array = item { continue }
                    index(item, at: Location(doc: location.doc, pointer: child + "/" + JSONPointer.escape(name)), base: base, rules: rules, isResourceRoot: false)
                }
            }
        }
    }

    enum SubschemaShape { case none, single, list, map }

    /// Where a keyword holds subschemas, so identifiers inside `enum`, `const` or unknown
    /// keywords are never mistaken for real ones.
    static func subschemaShape(_ keyword: String, _ draft: JSONSchema.Dialect) -> SubschemaShape {
        switch keyword {
        case "additionalProperties", "items", "contains", "propertyNames", "not", "if", "then", "else":
            return .single
        case "allOf", "anyOf", "oneOf":
            return .list
        case "definitions", "properties", "patternProperties":
            return .map
        case "additionalItems", "dependencies":
            return keyword == "dependencies" ? .map : .single
        case "unevaluatedProperties", "unevaluatedItems", "contentSchema":
            return draft == .draft2020_12 ? .single : .none
        case "prefixItems":
            return draft == .draft2020_12 ? .list : .none
        case "$defs", "dependentSchemas":
            return draft == .draft2020_12 ? .map : .none
        default:
            return .none
        }
    }

    /// The rules a `$schema` URI selects: a known draft, or a custom meta-schema from the
    /// registry whose `$vocabulary` turns vocabularies on and off.
    func rules(forSchemaURI uri: String, fallback: DialectRules, depth: Int) -> DialectRules {
        let key = SchemaURI.withoutFragment(uri)
        if let dialect = JSONSchema.Dialect(schemaURI: uri) {
            var rules = DialectRules(dialect, assertFormats: options.assertFormats)
            rules.isDraft2019 = key == "https://json-schema.org/draft/2019-09/schema"
            return rules
        }
        guard depth < 8, case .object(let meta)? = registry.document(at: key) else { return fallback }
        var rules = fallback
        if let parent = meta["$schema"]?.stringValue, SchemaURI.withoutFragment(parent) != key {
            rules = self.rules(forSchemaURI: parent, fallback: fallback, depth: depth + 1)
        }
        if case .object(let vocabulary)? = meta["$vocabulary"] {
            let prefix = "https://json-schema.org/draft/2020-12/vocab/"
            rules.validation = vocabulary[prefix + "validation"] != nil
            rules.applicator = vocabulary[prefix + "applicator"] != nil
            rules.unevaluated = vocabulary[prefix + "unevaluated"] != nil
            if vocabulary[prefix + "format-assertion"] != nil { rules.assertFormats = true }
        }
        return rules
    }

    // MARK: References

    /// The value at a location, or nil when the pointer leads nowhere.
    func value(at location: Location) -> JSONValue? {
        var current = documents[location.doc]
        for token in JSONPointer.tokens(location.pointer) {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let i = Int(token), i >= 0, i < array.count, token == String(i) else { return nil }
                current = array[i]
            default:
                return nil
            }
        }
        return current
    }

    /// Resolves a `$ref`/`$dynamicRef` value, loading registry documents as needed.
    mutating func resolve(_ reference: String, base: String, rules: DialectRules, from location: String) throws(SchemaError) -> Location {
        let target = SchemaURI.resolve(reference, against: base)
        let (uri, fragment) = SchemaURI.split(target)
        if resources[uri] == nil, let document = registry.document(at: uri) {
            addDocument(document, uri: uri, rules: rules)
        }
        guard let root = resources[uri] else {
            throw SchemaError(.unresolvableReference, at: location,
                              "cannot resolve \"\(reference)\": no schema is known at \(uri) (remote schemas must be preloaded in the SchemaRegistry)")
        }
        guard let fragment, !fragment.isEmpty else { return root }
        let decoded = SchemaURI.percentDecoded(fragment)
        if decoded.hasPrefix("/") {
            let tokens = JSONPointer.tokens(root.pointer) + JSONPointer.tokens(decoded)
            let pointer = tokens.map { "/" + JSONPointer.escape($0) }.joined()
            let resolved = Location(doc: root.doc, pointer: pointer)
            guard value(at: resolved) != nil else {
                throw SchemaError(.unresolvableReference, at: location, "cannot resolve \"\(reference)\": nothing at \(decoded) in \(uri)")
            }
            return resolved
        }
        guard let anchored = anchors[uri + "#" + decoded] else {
            throw SchemaError(.unresolvableReference, at: location, "cannot resolve \"\(reference)\": no anchor \"\(decoded)\" in \(uri)")
        }
        return anchored
    }

    /// Base URI and rules of a location the index did not visit (a `$ref` into an unknown
    /// keyword): those of its nearest indexed ancestor, adjusted by its own `$id`.
    func inferredInfo(for location: Location, value: JSONValue) -> Info {
        var tokens = JSONPointer.tokens(location.pointer)
        var ancestor = Info(base: documentURIs[location.doc], rules: DialectRules(.draft2020_12, assertFormats: options.assertFormats))
        while !tokens.isEmpty {
            tokens.removeLast()
            let pointer = tokens.map { "/" + JSONPointer.escape($0) }.joined()
            if let found = info[Location(doc: location.doc, pointer: pointer)] {
                ancestor = found
                break
            }
        }
        if let id = value["$id"]?.stringValue {
            return Info(base: SchemaURI.withoutFragment(SchemaURI.resolve(id, against: ancestor.base)), rules: ancestor.rules)
        }
        return ancestor
    }

    mutating func resourceID(for uri: String) -> Int {
        if let id = resourceIDs[uri] { return id }
        let id = programResources.count
        programResources.append(SchemaResource(uri: uri, dynamicAnchors: [:]))
        resourceIDs[uri] = id
        for (name, location) in dynamicAnchorsByURI[uri] ?? [:] {
            pendingAnchors.append((id, name, location))
        }
        return id
    }

    /// How `keywordLocation` shows a location: a pointer in the root document, else `uri#pointer`.
    func displayLocation(_ location: Location) -> String {
        location.doc == 0 ? location.pointer : documentURIs[location.doc] + "#" + location.pointer
    }
}
