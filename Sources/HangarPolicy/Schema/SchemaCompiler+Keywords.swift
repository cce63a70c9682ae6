import HangarCore

extension SchemaCompiler {
    /// The node index of the subschema at `location`, compiling it (and what it reaches) once.
    mutating func compile(_ location: Location) throws(SchemaError) -> Int {
        if let index = compiled[location] { return index }
        let shown = displayLocation(location)
        guard let value = value(at: location) else {
            throw SchemaError(.unresolvableReference, at: shown, "no subschema at this location")
        }
        let info = self.info[location] ?? inferredInfo(for: location, value: value)
        let index = nodes.count
        nodes.append(nil)
        compiled[location] = index
        let resource = resourceID(for: info.base)
        var node = SchemaNode(keywords: [], resource: resource, location: shown, needsAnnotations: false, isFalse: false)
        switch value {
        case .bool(true):
            break
        case .bool(false):
            node.keywords = [.alwaysFalse]
            node.isFalse = true
        case .object(let object):
            node.keywords = try keywords(of: object, at: location, info: info)
            node.needsAnnotations = node.keywords.contains {
                switch $0 {
                case .unevaluatedItems, .unevaluatedProperties: return true
                default: return false
                }
            }
        default:
            throw SchemaError(.invalidSchema, at: shown, "a schema must be an object or a boolean, got \(value.typeName)")
        }
        nodes[index] = node
        return index
    }

    private func invalid(_ location: Location, _ keyword: String, _ message: String) -> SchemaError {
        SchemaError(.invalidKeyword, at: displayLocation(location) + "/" + JSONPointer.escape(keyword), "\"\(keyword)\" \(message)")
    }

    private mutating func child(_ location: Location, _ tokens: String...) throws(SchemaError) -> Int {
        var pointer = location.pointer
        for token in tokens { pointer += "/" + JSONPointer.escape(token) }
        return try compile(Location(doc: location.doc, pointer: pointer))
    }

    private func count(_ object: JSONObject, _ keyword: String, at location: Location) throws(SchemaError) -> Int? {
        guard let value = object[keyword] else { return nil }
        guard let n = value.intValue, n >= 0, n <= Int64(Int32.max) else {
            throw invalid(location, keyword, "must be a non-negative integer, got \(value)")
        }
        return Int(n)
    }

    private func number(_ object: JSONObject, _ keyword: String, at location: Location) throws(SchemaError) -> SchemaNumber? {
        guard let value = object[keyword] else { return nil }
        guard let n = SchemaNumber(value) else { throw invalid(location, keyword, "must be a number, got \(value.typeName)") }
        return n
    }

    private func strings(_ value: JSONValue, _ keyword: String, at location: Location) throws(SchemaError) -> [String] {
        guard case .array(let items) = value else { throw invalid(location, keyword, "must be an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw invalid(location, keyword, "must be an array of strings") }
            out.append(s)
        }
        return out
    }

    private func pattern(_ source: String, _ keyword: String, at location: Location) throws(SchemaError) -> SchemaPattern {
        guard let compiled = SchemaPattern.compile(source) else {
            throw SchemaError(.invalidPattern, at: displayLocation(location) + "/" + JSONPointer.escape(keyword),
                              "\"\(source)\" is not a valid regular expression")
        }
        return compiled
    }

    private mutating func list(_ object: JSONObject, _ keyword: String, at location: Location) throws(SchemaError) -> [Int]? {
        guard let value = object[keyword] else { return nil }
        guard case .array(let items) = value, !items.isEmpty else {
            throw invalid(location, keyword, "must be a non-empty array of schemas")
        }
        var out: [Int] = []
        for i in items.indices { out.append(try child(location, keyword, String(i))) }
        return out
    }

    private mutating func single(_ object: JSONObject, _ keyword: String, at location: Location) throws(SchemaError) -> Int? {
        guard object[keyword] != nil else { return nil }
        return try child(location, keyword)
    }

    /// The keywords of one schema object, in evaluation order (`unevaluated*` last).
    mutating func keywords(of object: JSONObject, at location: Location, info: Info) throws(SchemaError) -> [SchemaKeyword] {
        let rules = info.rules
        let modern = rules.draft == .draft2020_12
        var out: [SchemaKeyword] = []

        if let reference = object["$ref"] {
            guard case .string(let text) = reference else { throw invalid(location, "$ref", "must be a string") }
            let target = try resolve(text, base: info.base, rules: rules, from: displayLocation(location) + "/$ref")
            let index = try compile(target)
            // Draft-07: a `$ref` replaces the whole schema object; its siblings are ignored.
            if !modern { return [.ref(index)] }
            out.append(.ref(index))
        }

        if rules.validation {
            if let type = object["type"] {
                var types = SchemaTypes()
                let names: [JSONValue]
                switch type {
                case .string: names = [type]
                case .array(let items): names = items
                default: throw invalid(location, "type", "must be a type name or an array of type names")
                }
                for name in names {
                    guard case .string(let s) = name, let t = SchemaTypes(name: s) else {
                        throw invalid(location, "type", "has an unknown type \(name); use null, boolean, object, array, number, string or integer")
                    }
                    types.insert(t)
                }
                out.append(.type(types))
            }
            if let values = object["enum"] {
                guard case .array(let items) = values else { throw invalid(location, "enum", "must be an array") }
                out.append(.enumeration(items))
            }
            if let value = object["const"] { out.append(.constant(value)) }
            if let n = try number(object, "multipleOf", at: location) {
                guard n.double > 0 else { throw invalid(location, "multipleOf", "must be greater than 0") }
                out.append(.multipleOf(n))
            }
            if let n = try number(object, "maximum", at: location) { out.append(.maximum(n)) }
            if let n = try number(object, "exclusiveMaximum", at: location) { out.append(.exclusiveMaximum(n)) }
            if let n = try number(object, "minimum", at: location) { out.append(.minimum(n)) }
            if let n = try number(object, "exclusiveMinimum", at: location) { out.append(.exclusiveMinimum(n)) }
            if let n = try count(object, "maxLength", at: location) { out.append(.maxLength(n)) }
            if let n = try count(object, "minLength", at: location), n > 0 { out.append(.minLength(n)) }
            if let value = object["pattern"] {
                guard case .string(let source) = value else { throw invalid(location, "pattern", "must be a string") }
                out.append(.pattern(try pattern(source, "pattern", at: location)))
            }
            if let n = try count(object, "maxItems", at: location) { out.append(.maxItems(n)) }
            if let n = try count(object, "minItems", at: location), n > 0 { out.append(.minItems(n)) }
            if let value = object["uniqueItems"] {
                guard case .bool(let unique) = value else { throw invalid(location, "uniqueItems", "must be a boolean") }
                if unique { out.append(.uniqueItems) }
            }
            if let n = try count(object, "maxProperties", at: location) { out.append(.maxProperties(n)) }
            if let n = try count(object, "minProperties", at: location), n > 0 { out.append(.minProperties(n)) }
            if let value = object["required"] {
                let names = try strings(value, "required", at: location)
                if !names.isEmpty { out.append(.required(names)) }
            }
            if modern, let value = object["dependentRequired"] {
                guard case .object(let members) = value else { throw invalid(location, "dependentRequired", "must be an object") }
                var pairs: [(String, [String])] = []
                for (name, list) in members { pairs.append((name, try strings(list, "dependentRequired", at: location))) }
                out.append(.dependentRequired(pairs))
            }
        }

        if rules.applicator {
            try appendApplicators(object, at: location, rules: rules, into: &out)
        }

        if modern, let reference = object["$dynamicRef"] {
            guard case .string(let text) = reference else { throw invalid(location, "$dynamicRef", "must be a string") }
            let target = try resolve(text, base: info.base, rules: rules, from: displayLocation(location) + "/$dynamicRef")
            let index = try compile(target)
            // Dynamic only when the static target itself declares the `$dynamicAnchor` named by the fragment.
            var anchor: String?
            let (uri, fragment) = SchemaURI.split(SchemaURI.resolve(text, against: info.base))
            if let fragment, !fragment.isEmpty, !fragment.hasPrefix("/"),
               dynamicAnchorsByURI[uri]?[fragment] == target
            {
                anchor = fragment
                usesDynamicScope = true
            }
            out.append(.dynamicRef(index, anchor: anchor))
        }

        if rules.assertFormats || options.assertFormats, case .string(let name)? = object["format"],
           let format = SchemaFormat(rawValue: name)
        {
            out.append(.format(format))
        }

        if modern && rules.unevaluated {
            if let index = try single(object, "unevaluatedProperties", at: location) { out.append(.unevaluatedProperties(index)) }
            if let index = try single(object, "unevaluatedItems", at: location) { out.append(.unevaluatedItems(index)) }
        }
        return out
    }

    private mutating func appendApplicators(_ object: JSONObject, at location: Location, rules: DialectRules, into out: inout [SchemaKeyword]) throws(SchemaError) {
        let modern = rules.draft == .draft2020_12

        // Object members: properties, patternProperties, additionalProperties in one pass.
        var members = ObjectMembers(properties: [:], patterns: [], additional: nil, hasProperties: false)
        var hasMembers = false
        if let value = object["properties"] {
            guard case .object(let properties) = value else { throw invalid(location, "properties", "must be an object of schemas") }
            for name in properties.keys { members.properties[name] = try child(location, "properties", name) }
            members.hasProperties = true
            hasMembers = true
        }
        if let value = object["patternProperties"] {
            guard case .object(let patterns) = value else { throw invalid(location, "patternProperties", "must be an object of schemas") }
            for source in patterns.keys {
                members.patterns.append((try pattern(source, "patternProperties", at: location), try child(location, "patternProperties", source)))
            }
            hasMembers = true
        }
        if let index = try single(object, "additionalProperties", at: location) {
            members.additional = index
            hasMembers = true
        }
        if hasMembers { out.append(.members(members)) }

        // Array items.
        let items = object["items"]
        if case .array(let list)? = items {
            // Draft-07 (and 2019-09) tuple form: items array + additionalItems.
            var prefix: [Int] = []
            for i in list.indices { prefix.append(try child(location, "items", String(i))) }
            let rest = try single(object, "additionalItems", at: location)
            out.append(.items(prefix: prefix, rest: rest, restKeyword: rest == nil ? "items" : "additionalItems"))
        } else if modern {
            let prefix = rules.isDraft2019 ? [] : try list(object, "prefixItems", at: location) ?? []
            let rest = try single(object, "items", at: location)
            if !prefix.isEmpty || rest != nil {
                out.append(.items(prefix: prefix, rest: rest, restKeyword: rest == nil ? "prefixItems" : "items"))
            }
        } else if let rest = try single(object, "items", at: location) {
            out.append(.items(prefix: [], rest: rest, restKeyword: "items"))
        }

        if let index = try single(object, "contains", at: location) {
            var minimum = 1
            var maximum: Int?
            if modern && rules.validation {
                minimum = try count(object, "minContains", at: location) ?? 1
                maximum = try count(object, "maxContains", at: location)
            }
            out.append(.contains(index, min: minimum, max: maximum))
        }
        if let index = try single(object, "propertyNames", at: location) { out.append(.propertyNames(index)) }

        if modern, let value = object["dependentSchemas"] {
            guard case .object(let schemas) = value else { throw invalid(location, "dependentSchemas", "must be an object of schemas") }
            var pairs: [(String, Int)] = []
            for name in schemas.keys { pairs.append((name, try child(location, "dependentSchemas", name))) }
            out.append(.dependentSchemas(pairs))
        }
        // Draft-07's `dependencies`; 2020-12 split it in two but its meta-schema still lists it.
        if let value = object["dependencies"] {
            guard case .object(let dependencies) = value else { throw invalid(location, "dependencies", "must be an object") }
            var required: [(String, [String])] = []
            var schemas: [(String, Int)] = []
            for (name, dependency) in dependencies {
                if case .array = dependency {
                    required.append((name, try strings(dependency, "dependencies", at: location)))
                } else {
                    schemas.append((name, try child(location, "dependencies", name)))
                }
            }
            if !required.isEmpty { out.append(.dependentRequired(required)) }
            if !schemas.isEmpty { out.append(.dependentSchemas(schemas)) }
        }

        if let indices = try list(object, "allOf", at: location) { out.append(.allOf(indices)) }
        if let indices = try list(object, "anyOf", at: location) { out.append(.anyOf(indices)) }
        if let indices = try list(object, "oneOf", at: location) { out.append(.oneOf(indices)) }
        if let index = try single(object, "not", at: location) { out.append(.not(index)) }
        if let condition = try single(object, "if", at: location) {
            let then = try single(object, "then", at: location)
            let otherwise = try single(object, "else", at: location)
            // `if` alone still contributes annotations when it passes (for `unevaluated*`).
            out.append(.conditional(if: condition, then: then, else: otherwise))
        }
    }
}
