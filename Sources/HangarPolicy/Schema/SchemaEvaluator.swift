import HangarCore

/// Runs a `SchemaProgram` against one instance. A fast pass stops at the first failure and
/// builds no strings; only when it fails does a second, reporting pass collect violations.
struct SchemaEvaluator {
    enum PathToken {
        case key(String)
        case index(Int)
    }

    let program: SchemaProgram
    let nodes: [SchemaNode]
    let maxDepth: Int
    let maxErrors: Int
    /// Whether this pass records violations at all.
    let collecting: Bool
    /// False while evaluating subschemas whose failures are not errors (`anyOf` branches, `not`, `if`).
    var reporting: Bool
    var errors: [SchemaViolation] = []
    var truncated = false
    var path: [PathToken] = []
    var scope: [Int] = []
    var depth = 0

    init(program: SchemaProgram, options: JSONSchema.Options, collecting: Bool) {
        self.program = program
        self.nodes = program.nodes
        self.maxDepth = options.maxDepth
        self.maxErrors = max(1, options.maxErrors)
        self.collecting = collecting
        self.reporting = collecting
    }

    /// Keep checking after a failure (to report more errors)?
    var exhaustive: Bool { reporting && !truncated }

    // MARK: Reporting

    private func instancePointer(_ extra: PathToken?) -> String {
        var out = ""
        func append(_ token: PathToken) {
            out.append("/")
            switch token {
            case .key(let key): out.append(JSONPointer.escape(key))
            case .index(let i): out.append(String(i))
            }
        }
        for token in path { append(token) }
        if let extra { append(extra) }
        return out
    }

    mutating func fail(_ node: SchemaNode, _ keyword: String, _ message: @autoclosure () -> String, at extra: PathToken? = nil) {
        guard reporting else { return }
        guard errors.count < maxErrors else {
            truncated = true
            return
        }
        let keywordLocation = keyword.isEmpty ? node.location : node.location + "/" + keyword
        errors.append(SchemaViolation(instanceLocation: instancePointer(extra), keywordLocation: keywordLocation, message: message()))
    }

    private static func show(_ value: JSONValue) -> String {
        let text = value.description
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .object, .array: return value.typeName
        default: return "\(value.typeName) \(show(value))"
        }
    }

    // MARK: Evaluation

    /// Whether `instance` satisfies node `index`; adds the node's annotations to `annotations`
    /// when those are being kept.
    mutating func evaluate(_ index: Int, _ instance: JSONValue, _ annotations: inout SchemaAnnotations) -> Bool {
        let node = nodes[index]
        if node.keywords.isEmpty { return true }
        depth += 1
        defer { depth -= 1 }
        if depth > maxDepth {
            let limit = maxDepth
            fail(node, "", "schema nesting deeper than \(limit) levels (a $ref that recurses without end?)")
            return false
        }
        var pushed = false
        if program.usesDynamicScope, scope.last != node.resource {
            scope.append(node.resource)
            pushed = true
        }
        defer { if pushed { scope.removeLast() } }
        if node.needsAnnotations {
            var local = SchemaAnnotations(for: instance)
            let valid = evaluateKeywords(node, instance, &local)
            if valid && annotations.enabled { annotations.merge(local) }
            return valid
        }
        return evaluateKeywords(node, instance, &annotations)
    }

    private mutating func evaluateKeywords(_ node: SchemaNode, _ instance: JSONValue, _ annotations: inout SchemaAnnotations) -> Bool {
        var valid = true
        for keyword in node.keywords where !check(keyword, node, instance, &annotations) {
            valid = false
            if !exhaustive { return false }
        }
        return valid
    }

    /// Evaluates a subschema against a member or item (a new instance location).
    mutating func evaluate(_ index: Int, _ instance: JSONValue, at token: PathToken) -> Bool {
        if nodes[index].keywords.isEmpty { return true }
        var none = SchemaAnnotations.disabled
        if !collecting { return evaluate(index, instance, &none) }
        path.append(token)
        defer { path.removeLast() }
        return evaluate(index, instance, &none)
    }

    /// Evaluates without reporting: the caller decides what a failure means.
    private mutating func silently(_ index: Int, _ instance: JSONValue, _ annotations: inout SchemaAnnotations) -> Bool {
        let saved = reporting
        reporting = false
        defer { reporting = saved }
        return evaluate(index, instance, &annotations)
    }

    private mutating func check(_ keyword: SchemaKeyword, _ node: SchemaNode, _ instance: JSONValue, _ annotations: inout SchemaAnnotations) -> Bool {
        switch keyword {
        case .alwaysFalse:
            fail(node, "", "no value is allowed here")
            return false

        case .type(let types):
            if types.allows(instance) { return true }
            fail(node, "type", "expected \(types.text), got \(instance.typeName)")
            return false

        case .enumeration(let values):
            for value in values where JSONEquality.equal(value, instance) { return true }
            fail(node, "enum", "must be one of \(values.prefix(8).map(Self.show).joined(separator: ", "))\(values.count > 8 ? ", ..." : ""), got \(Self.show(instance))")
            return false

        case .constant(let value):
            if JSONEquality.equal(value, instance) { return true }
            fail(node, "const", "must be \(Self.show(value)), got \(Self.show(instance))")
            return false

        case .multipleOf(let divisor):
            if Self.isMultiple(instance, of: divisor) { return true }
            fail(node, "multipleOf", "must be a multiple of \(divisor.text), got \(Self.show(instance))")
            return false

        case .maximum(let bound):
            guard let c = SchemaNumber.compare(instance, bound), c > 0 else { return true }
            fail(node, "maximum", "must be <= \(bound.text), got \(Self.show(instance))")
            return false

        case .exclusiveMaximum(let bound):
            guard let c = SchemaNumber.compare(instance, bound), c >= 0 else { return true }
            fail(node, "exclusiveMaximum", "must be < \(bound.text), got \(Self.show(instance))")
            return false

        case .minimum(let bound):
            guard let c = SchemaNumber.compare(instance, bound), c < 0 else { return true }
            fail(node, "minimum", "must be >= \(bound.text), got \(Self.show(instance))")
            return false

        case .exclusiveMinimum(let bound):
            guard let c = SchemaNumber.compare(instance, bound), c <= 0 else { return true }
            fail(node, "exclusiveMinimum", "must be > \(bound.text), got \(Self.show(instance))")
            return false

        case .maxLength(let limit):
            guard case .string(let s) = instance, s.utf8.count > limit else { return true }
            let length = s.unicodeScalars.count
            if length <= limit { return true }
            fail(node, "maxLength", "must be at most \(limit) character\(limit == 1 ? "" : "s") long, got \(length)")
            return false

        case .minLength(let limit):
            guard case .string(let s) = instance else { return true }
            let length = s.utf8.count < limit ? s.utf8.count : s.unicodeScalars.count
            if length >= limit { return true }
            fail(node, "minLength", "must be at least \(limit) character\(limit == 1 ? "" : "s") long, got \(length)")
            return false

        case .pattern(let pattern):
            guard case .string(let s) = instance, !pattern.matches(s) else { return true }
            fail(node, "pattern", "must match the pattern \(JSONValue.string(pattern.source))")
            return false

        case .format(let format):
            guard case .string(let s) = instance, !format.accepts(s) else { return true }
            fail(node, "format", "is not a valid \(format.rawValue): \(Self.show(instance))")
            return false

        case .maxItems(let limit):
            guard case .array(let a) = instance, a.count > limit else { return true }
            fail(node, "maxItems", "must have at most \(limit) item\(limit == 1 ? "" : "s"), got \(a.count)")
            return false

        case .minItems(let limit):
            guard case .array(let a) = instance, a.count < limit else { return true }
            fail(node, "minItems", "must have at least \(limit) item\(limit == 1 ? "" : "s"), got \(a.count)")
            return false

        case .uniqueItems:
            guard case .array(let a) = instance, let (i, j) = JSONEquality.firstDuplicate(in: a) else { return true }
            fail(node, "uniqueItems", "items must be unique, but items \(i) and \(j) are equal")
            return false

        case .maxProperties(let limit):
            guard case .object(let o) = instance, o.count > limit else { return true }
            fail(node, "maxProperties", "must have at most \(limit) propert\(limit == 1 ? "y" : "ies"), got \(o.count)")
            return false

        case .minProperties(let limit):
            guard case .object(let o) = instance, o.count < limit else { return true }
            fail(node, "minProperties", "must have at least \(limit) propert\(limit == 1 ? "y" : "ies"), got \(o.count)")
            return false

        case .required(let names):
            guard case .object(let o) = instance else { return true }
            var valid = true
            for name in names where o.index(forKey: name) == nil {
                fail(node, "required", "missing required property \(JSONValue.string(name))")
                valid = false
                if !exhaustive { return false }
            }
            return valid

        case .dependentRequired(let pairs):
            guard case .object(let o) = instance else { return true }
            var valid = true
            for (name, required) in pairs where o.index(forKey: name) != nil {
                for other in required where o.index(forKey: other) == nil {
                    fail(node, "dependentRequired", "missing property \(JSONValue.string(other)), required when \(JSONValue.string(name)) is present")
                    valid = false
                    if !exhaustive { return false }
                }
            }
            return valid

        case .members(let members):
            guard case .object(let o) = instance else { return true }
            return checkMembers(members, node, o, &annotations)

        case .items(let prefix, let rest, let restKeyword):
            guard case .array(let a) = instance else { return true }
            return checkItems(prefix: prefix, rest: rest, restKeyword: restKeyword, node, a, &annotations)

        case .contains(let index, let minimum, let maximum):
            guard case .array(let a) = instance else { return true }
            var matches = 0
            for i in a.indices {
                var none = SchemaAnnotations.disabled
                if silently(index, a[i], &none) {
                    matches += 1
                    if annotations.enabled { annotations.items[i] = true }
                    if !annotations.enabled && maximum == nil && matches >= minimum { return true }
                }
            }
            if matches < minimum {
                fail(node, "contains", "must contain at least \(minimum) item\(minimum == 1 ? "" : "s") matching the \"contains\" schema, found \(matches)")
                return false
            }
            if let maximum, matches > maximum {
                fail(node, "contains", "must contain at most \(maximum) item\(maximum == 1 ? "" : "s") matching the \"contains\" schema, found \(matches)")
                return false
            }
            return true

        case .propertyNames(let index):
            guard case .object(let o) = instance else { return true }
            var valid = true
            for key in o.keys {
                var none = SchemaAnnotations.disabled
                if !silently(index, .string(key), &none) {
                    fail(node, "propertyNames", "property name \(JSONValue.string(key)) is not allowed", at: .key(key))
                    valid = false
                    if !exhaustive { return false }
                }
            }
            return valid

        case .dependentSchemas(let pairs):
            guard case .object(let o) = instance else { return true }
            var valid = true
            for (name, index) in pairs where o.index(forKey: name) != nil {
                if !evaluate(index, instance, &annotations) {
                    valid = false
                    if !exhaustive { return false }
                }
            }
            return valid

        case .allOf(let branches):
            var valid = true
            for branch in branches where !evaluate(branch, instance, &annotations) {
                valid = false
                if !exhaustive { return false }
            }
            return valid

        case .anyOf(let branches):
            var matched = false
            for branch in branches {
                if annotations.enabled {
                    var local = SchemaAnnotations(for: instance)
                    if silently(branch, instance, &local) {
                        matched = true
                        annotations.merge(local)
                    }
                } else {
                    var none = SchemaAnnotations.disabled
                    if silently(branch, instance, &none) { return true }
                }
            }
            if matched { return true }
            fail(node, "anyOf", "must match at least one of the \(branches.count) schemas in anyOf")
            return false

        case .oneOf(let branches):
            var matchedIndices: [Int] = []
            var kept = SchemaAnnotations.disabled
            for (i, branch) in branches.enumerated() {
                var local = annotations.enabled ? SchemaAnnotations(for: instance) : .disabled
                if silently(branch, instance, &local) {
                    matchedIndices.append(i)
                    kept = local
                    if matchedIndices.count > 1 { break }
                }
            }
            if matchedIndices.count == 1 {
                if annotations.enabled { annotations.merge(kept) }
                return true
            }
            if matchedIndices.isEmpty {
                fail(node, "oneOf", "must match exactly one of the \(branches.count) schemas in oneOf, matched none")
            } else {
                fail(node, "oneOf", "must match exactly one of the \(branches.count) schemas in oneOf, matched #\(matchedIndices[0]) and #\(matchedIndices[1])")
            }
            return false

        case .not(let index):
            var none = SchemaAnnotations.disabled
            if !silently(index, instance, &none) { return true }
            fail(node, "not", "must not match the schema in \"not\"")
            return false

        case .conditional(let condition, let then, let otherwise):
            var local = annotations.enabled ? SchemaAnnotations(for: instance) : .disabled
            if silently(condition, instance, &local) {
                if annotations.enabled { annotations.merge(local) }
                guard let then else { return true }
                return evaluate(then, instance, &annotations)
            }
            guard let otherwise else { return true }
            return evaluate(otherwise, instance, &annotations)

        case .ref(let index):
            return evaluate(index, instance, &annotations)

        case .dynamicRef(let index, let anchor):
            var target = index
            if let anchor {
                for resource in scope {
                    if let dynamic = program.resources[resource].dynamicAnchors[anchor] {
                        target = dynamic
                        break
                    }
                }
            }
            return evaluate(target, instance, &annotations)

        case .unevaluatedProperties(let index):
            guard case .object(let o) = instance else { return true }
            var valid = true
            let isFalse = nodes[index].isFalse
            for (i, key) in o.keys.enumerated() where !annotations.properties[i] {
                if isFalse {
                    fail(node, "unevaluatedProperties", "property is not allowed (the schema does not declare it)", at: .key(key))
                    valid = false
                } else if !evaluate(index, o.values[i], at: .key(key)) {
                    valid = false
                }
                if !valid && !exhaustive { return false }
                annotations.properties[i] = true
            }
            return valid

        case .unevaluatedItems(let index):
            guard case .array(let a) = instance else { return true }
            var valid = true
            let isFalse = nodes[index].isFalse
            for i in a.indices where !annotations.items[i] {
                if isFalse {
                    fail(node, "unevaluatedItems", "item is not allowed (the schema does not declare it)", at: .index(i))
                    valid = false
                } else if !evaluate(index, a[i], at: .index(i)) {
                    valid = false
                }
                if !valid && !exhaustive { return false }
                annotations.items[i] = true
            }
            return valid
        }
    }
}
