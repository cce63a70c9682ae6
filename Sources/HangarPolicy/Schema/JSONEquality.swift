import HangarCore

/// JSON equality as JSON Schema defines it: numbers by value (`1 == 1.0`), objects regardless
/// of member order. (`JSONValue`'s own `==` is structural and order-sensitive.)
enum JSONEquality {
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
            guard let exact = Int64(exactly: y) else { return false }
            return exact == x
        case (.string(let x), .string(let y)):
            // Code points, not Swift's canonical equivalence: "é" and "e\u{301}" differ in JSON.
            return x == y && x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            for i in x.indices where !equal(x[i], y[i]) { return false }
            return true
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, value) in x {
                guard let other = y[key], equal(value, other) else { return false }
            }
            return true
        default: return false
        }
    }

    /// A hash consistent with `equal`.
    static func hash(_ value: JSONValue, into hasher: inout Hasher) {
        switch value {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(1 as UInt8); hasher.combine(Double(i))
        case .double(let d): hasher.combine(1 as UInt8); hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .array(let a):
            hasher.combine(a.count)
            for element in a { hash(element, into: &hasher) }
        case .object(let o):
            // Member order must not matter: combine per-member hashes commutatively.
            var sum = 0
            for (key, member) in o {
                var h = Hasher()
                h.combine(key)
                hash(member, into: &h)
                sum = sum &+ h.finalize()
            }
            hasher.combine(o.count)
            hasher.combine(sum)
        }
    }

    /// Wraps a value so a `Set` finds duplicates by JSON equality.
    struct Key: Hashable {
        let value: JSONValue
        static func == (a: Key, b: Key) -> Bool { JSONEquality.equal(a.value, b.value) }
        func hash(into hasher: inout Hasher) { JSONEquality.hash(value, into: &hasher) }
    }

    /// Indices of the first two equal elements, or nil when all are distinct.
    static func firstDuplicate(in array: [JSONValue]) -> (Int, Int)? {
        if array.count <= 16 {
            for i in array.indices {
                for j in (i + 1)..<array.count where equal(array[i], array[j]) { return (i, j) }
            }
            return nil
        }
        var seen: [Key: Int] = [:]
        seen.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            if let first = seen.updateValue(i, forKey: Key(value: element)) { return (first, i) }
        }
        return nil
    }
}
