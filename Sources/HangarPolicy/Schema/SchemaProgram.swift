import HangarCore

/// A compiled schema: every reachable subschema as a node, linked by index, so `$ref` cycles
/// are plain integers and validation never looks anything up by URI.
final class SchemaProgram: Sendable {
    let nodes: [SchemaNode]
    /// Schema resources (one per base URI) with the `$dynamicAnchor`s they declare.
    let resources: [SchemaResource]
    let root: Int
    /// False when the schema has no `$dynamicRef`: validation then skips dynamic-scope tracking.
    let usesDynamicScope: Bool

    init(nodes: [SchemaNode], resources: [SchemaResource], root: Int, usesDynamicScope: Bool) {
        self.nodes = nodes
        self.resources = resources
        self.root = root
        self.usesDynamicScope = usesDynamicScope
    }
}

struct SchemaResource: Sendable {
    let uri: String
    var dynamicAnchors: [String: Int]
}

/// One subschema: its keywords in evaluation order (`unevaluated*` last).
struct SchemaNode: Sendable {
    var keywords: [SchemaKeyword]
    /// Index into `SchemaProgram.resources`.
    var resource: Int
    /// Where the subschema is, for `keywordLocation`: a JSON Pointer, prefixed with its
    /// document's URI when that is not the root document.
    var location: String
    /// Has `unevaluatedProperties`/`unevaluatedItems`: it needs its own annotation record.
    var needsAnnotations: Bool
    /// The `false` schema.
    var isFalse: Bool
}

/// Which JSON types a `type` keyword allows, as bits.
struct SchemaTypes: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    static let null = SchemaTypes(rawValue: 1)
    static let boolean = SchemaTypes(rawValue: 2)
    static let object = SchemaTypes(rawValue: 4)
    static let array = SchemaTypes(rawValue: 8)
    static let number = SchemaTypes(rawValue: 16)
    static let string = SchemaTypes(rawValue: 32)
    static let integer = SchemaTypes(rawValue: 64)

    static let names: [(String, SchemaTypes)] = [
        ("null", .null), ("boolean", .boolean), ("object", .object), ("array", .array),
        ("number", .number), ("string", .string), ("integer", .integer),
    ]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init?(name: String) {
        guard let match = Self.names.first(where: { $0.0 == name }) else { return nil }
        self = match.1
    }

    /// Whether a value of this JSON type is allowed (`1.0` counts as an integer).
    func allows(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return contains(.null)
        case .bool: return contains(.boolean)
        case .object: return contains(.object)
        case .array: return contains(.array)
        case .string: return contains(.string)
        case .int: return !isDisjoint(with: [.number, .integer])
        case .double(let d):
            if contains(.number) { return true }
            return contains(.integer) && d.isFinite && d.rounded() == d
        }
    }

    var text: String {
        Self.names.filter { contains($0.1) }.map(\.0).joined(separator: " or ")
    }
}

/// `properties`, `patternProperties` and `additionalProperties` of one subschema, applied in
/// one pass over the instance's members.
struct ObjectMembers: Sendable {
    var properties: [String: Int]
    var patterns: [(SchemaPattern, Int)]
    var additional: Int?
    /// Which of the three keywords were present (for error locations).
    var hasProperties: Bool
}

/// A numeric bound, kept exact when it is an integer.
enum SchemaNumber: Sendable {
    case int(Int64)
    case double(Double)

    init?(_ value: JSONValue) {
        switch value {
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        default: return nil
        }
    }

    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }

    var text: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return JSONValue.double(d).description
        }
    }

    /// -1, 0 or 1 comparing a JSON number with this bound; nil for non-numbers.
    static func compare(_ value: JSONValue, _ bound: SchemaNumber) -> Int? {
        switch (value, bound) {
        case (.int(let a), .int(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.int(let a), .double(let b)): return compareDoubles(Double(a), b)
        case (.double(let a), .int(let b)): return compareDoubles(a, Double(b))
        case (.double(let a), .double(let b)): return compareDoubles(a, b)
        default: return nil
        }
    }

    private static func compareDoubles(_ a: Double, _ b: Double) -> Int {
        a < b ? -1 : (a == b ? 0 : 1)
    }
}

/// One compiled keyword. Subschemas are node indices.
enum SchemaKeyword: Sendable {
    case alwaysFalse
    case type(SchemaTypes)
    case enumeration([JSONValue])
    case constant(JSONValue)
    case multipleOf(SchemaNumber)
    case maximum(SchemaNumber)
    case exclusiveMaximum(SchemaNumber)
    case minimum(SchemaNumber)
    case exclusiveMinimum(SchemaNumber)
    case maxLength(Int)
    case minLength(Int)
    case pattern(SchemaPattern)
    case format(SchemaFormat)
    case maxItems(Int)
    case minItems(Int)
    case uniqueItems
    case maxProperties(Int)
    case minProperties(Int)
    case required([String])
    case dependentRequired([(String, [String])])
    case members(ObjectMembers)
    /// `prefixItems` + `items` (2020-12), or array `items` + `additionalItems` / schema `items` (draft-07).
    /// `prefixKeyword`/`restKeyword` name the keywords for error locations.
    case items(prefix: [Int], rest: Int?, restKeyword: String)
    case contains(Int, min: Int, max: Int?)
    case propertyNames(Int)
    case dependentSchemas([(String, Int)])
    case allOf([Int])
    case anyOf([Int])
    case oneOf([Int])
    case not(Int)
    case conditional(if: Int, then: Int?, else: Int?)
    case ref(Int)
    /// `$dynamicRef`: `anchor` is set only when the static target itself declares that
    /// `$dynamicAnchor` (otherwise it behaves as `$ref`).
    case dynamicRef(Int, anchor: String?)
    case unevaluatedProperties(Int)
    case unevaluatedItems(Int)

    /// The keyword as written in the schema, for `keywordLocation`.
    var name: String {
        switch self {
        case .alwaysFalse: return ""
        case .type: return "type"
        case .enumeration: return "enum"
        case .constant: return "const"
        case .multipleOf: return "multipleOf"
        case .maximum: return "maximum"
        case .exclusiveMaximum: return "exclusiveMaximum"
        case .minimum: return "minimum"
        case .exclusiveMinimum: return "exclusiveMinimum"
        case .maxLength: return "maxLength"
        case .minLength: return "minLength"
        case .pattern: return "pattern"
        case .format: return "format"
        case .maxItems: return "maxItems"
        case .minItems: return "minItems"
        case .uniqueItems: return "uniqueItems"
        case .maxProperties: return "maxProperties"
        case .minProperties: return "minProperties"
        case .required: return "required"
        case .dependentRequired: return "dependentRequired"
        case .members: return "properties"
        case .items(_, _, let rest): return rest
        case .contains: return "contains"
        case .propertyNames: return "propertyNames"
        case .dependentSchemas: return "dependentSchemas"
        case .allOf: return "allOf"
        case .anyOf: return "anyOf"
        case .oneOf: return "oneOf"
        case .not: return "not"
        case .conditional: return "if"
        case .ref: return "$ref"
        case .dynamicRef: return "$dynamicRef"
        case .unevaluatedProperties: return "unevaluatedProperties"
        case .unevaluatedItems: return "unevaluatedItems"
        }
    }
}
