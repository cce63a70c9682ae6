import HangarCore

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
