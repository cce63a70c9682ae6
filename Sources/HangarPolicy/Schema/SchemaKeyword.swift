import HangarCore

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

/// `properties`, `patternProperties` and `additionalProperties` of one subschema, applied in
/// one pass over the instance's members.
struct ObjectMembers: Sendable {
    var properties: [String: Int]
    var patterns: [(SchemaPattern, Int)]
    var additional: Int?
    /// Which of the three keywords were present (for error locations).
    var hasProperties: Bool
}
