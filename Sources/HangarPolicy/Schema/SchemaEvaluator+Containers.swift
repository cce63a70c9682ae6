import HangarCore

/// Objects, arrays and numbers: the checks that loop or need arithmetic care.
extension SchemaEvaluator {
    mutating func checkMembers(_ members: ObjectMembers, _ node: SchemaNode, _ object: JSONObject, _ annotations: inout SchemaAnnotations) -> Bool {
        var valid = true
        let keys = object.keys.elements
        let values = object.values.elements
        for i in keys.indices {
            let key = keys[i]
            var matched = false
            if let index = members.properties[key] {
                matched = true
                if !evaluate(index, values[i], at: .key(key)) {
                    valid = false
                    if !exhaustive { return false }
                }
            }
            for (pattern, index) in members.patterns where pattern.matches(key) {
                matched = true
                if !evaluate(index, values[i], at: .key(key)) {
                    valid = false
                    if !exhaustive { return false }
                }
            }
            if !matched, let index = members.additional {
                matched = true
                if nodes[index].isFalse {
                    fail(node, "additionalProperties", "property is not allowed (the schema does not declare it)", at: .key(key))
                    valid = false
                    if !exhaustive { return false }
                } else if !evaluate(index, values[i], at: .key(key)) {
                    valid = false
                    if !exhaustive { return false }
                }
            }
            if matched && annotations.enabled { annotations.properties[i] = true }
        }
        return valid
    }

    mutating func checkItems(prefix: [Int], rest: Int?, restKeyword: String, _ node: SchemaNode, _ array: [JSONValue], _ annotations: inout SchemaAnnotations) -> Bool {
        var valid = true
        let tupleCount = min(prefix.count, array.count)
        for i in 0..<tupleCount {
            if !evaluate(prefix[i], array[i], at: .index(i)) {
                valid = false
                if !exhaustive { return false }
            }
            if annotations.enabled { annotations.items[i] = true }
        }
        guard let rest, array.count > prefix.count else { return valid }
        let isFalse = nodes[rest].isFalse
        for i in prefix.count..<array.count {
            if isFalse {
                fail(node, restKeyword, prefix.isEmpty ? "no items are allowed" : "only \(prefix.count) item\(prefix.count == 1 ? " is" : "s are") allowed, got \(array.count)")
                return false
            }
            if !evaluate(rest, array[i], at: .index(i)) {
                valid = false
                if !exhaustive { return false }
            }
            if annotations.enabled { annotations.items[i] = true }
        }
        return valid
    }

    static func isMultiple(_ value: JSONValue, of divisor: SchemaNumber) -> Bool {
        switch (value, divisor) {
        case (.int(let v), .int(let d)):
            return v % d == 0
        case (.int, _), (.double, _):
            guard let x = value.doubleValue else { return true }
            let d = divisor.double
            let quotient = x / d
            if quotient.isFinite {
                let rounded = quotient.rounded()
                // Binary fractions make 0.0075 / 0.0001 = 74.99999999999999: allow rounding error only.
                return quotient == rounded || abs(quotient - rounded) <= max(1e-9, abs(quotient) * 1e-15)
            }
            return x.truncatingRemainder(dividingBy: d) == 0
        default:
            return true
        }
    }
}
