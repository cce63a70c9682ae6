import HangarCore

/// Which members / items of one instance have been evaluated by successful subschemas, for
/// `unevaluatedProperties` and `unevaluatedItems`. Only kept when some schema needs it.
struct SchemaAnnotations {
    var enabled: Bool
    /// By member index in the instance object.
    var properties: [Bool]
    /// By item index in the instance array.
    var items: [Bool]

    static var disabled: SchemaAnnotations { SchemaAnnotations(enabled: false, properties: [], items: []) }

    init(enabled: Bool, properties: [Bool], items: [Bool]) {
        self.enabled = enabled
        self.properties = properties
        self.items = items
    }

    init(for instance: JSONValue) {
        enabled = true
        switch instance {
        case .object(let object):
            properties = Array(repeating: false, count: object.count)
            items = []
        case .array(let array):
            properties = []
            items = Array(repeating: false, count: array.count)
        default:
            properties = []
            items = []
        }
    }

    mutating func merge(_ other: SchemaAnnotations) {
        for i in properties.indices where other.properties[i] { properties[i] = true }
        for i in items.indices where other.items[i] { items[i] = true }
    }
}
