@_exported import OrderedCollections

/// A JSON object that keeps its keys in the order they arrived, so forwarded messages
/// read the same on both sides.
public typealias JSONObject = OrderedDictionary<String, JSONValue>

extension OrderedDictionary where Key == String, Value == JSONValue {
    /// Changes the object stored under `key` in place, however many changes `body` makes. A
    /// member that is absent (appended) or not an object starts as `[:]`. The member is taken
    /// out while `body` runs, so an object held only here is changed without a copy.
    public mutating func modifyObject<R>(_ key: String, _ body: (inout JSONObject) throws -> R) rethrows -> R {
        var member: JSONObject = [:]
        guard let index = index(forKey: key) else {
            defer { self[key] = .object(member) }
            return try body(&member)
        }
        let old = values[index]
        values[index] = .null
        if case .object(let object) = consume old { member = object }
        defer { values[index] = .object(member) }
        return try body(&member)
    }
}

/// Any JSON value. Messages pass through Hangar as these, so unknown fields survive.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// An integer literal that fits in 64 bits.
    case int(Int64)
    /// Any other number.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    /// The value as an integer, if it is one (a double with no fraction counts).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Member lookup on objects; `nil` for anything else. Setting a member of anything but an
    /// object does nothing. A top-level member is set in place (an object held only here is
    /// not copied); for several changes to a nested object use `JSONObject.modifyObject`.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let o) = self else { return nil }
            return o[key]
        }
        set {
            guard case .object(var o) = self else { return }
            self = .null  // `o` now holds this value's only reference: the write below is in place
            o[key] = newValue
            self = .object(o)
        }
    }

    /// The JSON type name, as used in error messages and JSON Schema.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { JSONWriter.string(self) }
}
