/// Why a byte sequence was not accepted as JSON.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case tooLarge, tooDeep, tooManyElements, invalidUTF8, syntax
    }
    public let kind: Kind
    /// Byte offset where the problem was found.
    public let offset: Int
    public let message: String

    public var description: String { "\(message) (at byte \(offset))" }
}

/// A strict JSON parser (RFC 8259) over bytes that enforces `JSONLimits` as it goes.
public struct JSONParser: ~Copyable {
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) -> JSONValue {
        if bytes.count > limits.maxMessageBytes {
            throw JSONParseError(kind: .tooLarge, offset: limits.maxMessageBytes,
                                 message: "message is \(bytes.count) bytes, over the limit of \(limits.maxMessageBytes)")
        }
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Self.parseBuffer(UnsafeRawBufferPointer(buffer), limits: limits)
        }
        if let result { return try result.get() }
        let array = Array(bytes)
        return try array.withUnsafeBytes { Self.parseBuffer($0, limits: limits) }.get()
    }

    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    private static func parseBuffer(_ buffer: UnsafeRawBufferPointer, limits: JSONLimits) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: buffer, limits: limits)
        do throws(JSONParseError) {
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.index != buffer.count {
                throw parser.error(.syntax, "unexpected data after the JSON value")
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    private let bytes: UnsafeRawBufferPointer
    private let limits: JSONLimits
    private var index = 0
    private var scratch: [UInt8] = []
    /// Members of the containers being parsed, innermost last. Each container is built once
    /// at its end with its exact size, instead of growing (and reallocating) as members come.
    private var keyStack: [String] = []
    private var valueStack: [JSONValue] = []

    private init(bytes: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Room for a typical message's open members at once, so the stacks rarely grow; made at
    /// the first container, so a lone scalar costs no allocation.
    private mutating func reserveStacks() {
        if valueStack.capacity == 0 {
            keyStack.reserveCapacity(16)
            valueStack.reserveCapacity(16)
        }
    }

    private func error(_ kind: JSONParseError.Kind, _ message: String) -> JSONParseError {
        JSONParseError(kind: kind, offset: index, message: message)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error(.syntax, "unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error(.syntax, "unexpected character '\(Self.show(bytes[index]))'")
        }
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error(.syntax, "unexpected end of input") }
        let base = literal.utf8Start
        for i in 0..<count where bytes[index + i] != base[i] {
            throw error(.syntax, "invalid literal")
        }
        index += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth { throw error(.tooDeep, "nesting deeper than the limit of \(limits.maxDepth)") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        reserveStacks()
        let base = keyStack.count, valueBase = valueStack.count
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(.syntax, "expected a string key in object")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error(.syntax, "expected ':' after object key") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            keyStack.append(key)
            valueStack.append(value)
            // Members are counted as written (a repeated key too), which bounds the work.
            if keyStack.count - base > limits.maxContainerCount {
                throw error(.tooManyElements, "object has more than \(limits.maxContainerCount) members")
            }
            skipWhitespace()
            guard index < bytes.count else { throw error(.syntax, "unexpected end of input in object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                // A repeated key keeps its first place and takes its last value.
                var object = JSONObject(minimumCapacity: keyStack.count - base)
                for i in 0..<(keyStack.count - base) { object[keyStack[base + i]] = valueStack[valueBase + i] }
                keyStack.removeSubrange(base...)
                valueStack.removeSubrange(valueBase...)
                return .object(object)
            }
            throw error(.syntax, "expected ',' or '}' in object")
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth { throw error(.tooDeep, "nesting deeper than the limit of \(limits.maxDepth)") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        reserveStacks()
        let base = valueStack.count
        while true {
            skipWhitespace()
            let element = try parseValue(depth: depth)
            valueStack.append(element)
            if valueStack.count - base > limits.maxContainerCount {
                throw error(.tooManyElements, "array has more than \(limits.maxContainerCount) elements")
            }
            skipWhitespace()
            guard index < bytes.count else { throw error(.syntax, "unexpected end of input in array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                let array = Array(valueStack[base...])
                valueStack.removeSubrange(base...)
                return .array(array)
            }
            throw error(.syntax, "expected ',' or ']' in array")
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var i = index
        let end = bytes.count
        // The OR of every byte: its top bit is clear exactly when the string is pure ASCII.
        var seen: UInt8 = 0
        // Fast path: no escapes.
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                index = i + 1
                return try Self.string(UnsafeRawBufferPointer(rebasing: bytes[start..<i]), isASCII: seen < 0x80, offset: start)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 {
                index = i
                throw error(.syntax, "unescaped control character in string")
            }
            seen |= b
            i += 1
        }
        index = i
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < end {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                let isASCII = seen < 0x80
                return try scratch.withUnsafeBytes { buffer in
                    Result { () throws(JSONParseError) in try Self.string(buffer, isASCII: isASCII, offset: start) }
                }.get()
            }
            if b < 0x20 { throw error(.syntax, "unescaped control character in string") }
            if b != UInt8(ascii: "\\") {
                scratch.append(b)
                seen |= b
                index += 1
                continue
            }
            index += 1
            guard index < end else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                // A high surrogate must be followed by an escaped low surrogate; a high one that
                // is not gives U+FFFD, and what follows it is read afresh (it may start a pair).
                while (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        scalar = 0xFFFD
                        break
                    }
                    index += 2
                    let next = try parseHex4()
                    if (0xDC00...0xDFFF).contains(next) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (next - 0xDC00)
                        break
                    }
                    appendScalar(0xFFFD)
                    seen |= 0x80
                    scalar = next
                }
                if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD  // a lone low surrogate cannot be a Swift String
                }
                appendScalar(scalar)
                if scalar >= 0x80 { seen |= 0x80 }
            default:
                throw error(.syntax, "invalid escape sequence in string")
            }
        }
        throw error(.syntax, "unterminated string")
    }

    /// The string these UTF-8 bytes spell, or `.invalidUTF8`. Pure ASCII needs no validation;
    /// anything else is decoded (which repairs bad sequences with U+FFFD) and compared with the
    /// input, so it is accepted only if nothing was repaired. Both avoid the generic, slower
    /// `String(validating:as:)`.
    private static func string(_ raw: UnsafeRawBufferPointer, isASCII: Bool, offset: Int) throws(JSONParseError) -> String {
        let utf8 = raw.assumingMemoryBound(to: UInt8.self)
        let s = String(decoding: utf8, as: UTF8.self)
        if isASCII { return s }
        let unchanged = s.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(utf8) } ?? s.utf8.elementsEqual(utf8)
        guard unchanged else {
            throw JSONParseError(kind: .invalidUTF8, offset: offset, message: "string is not valid UTF-8")
        }
        return s
    }

    private mutating func appendScalar(_ value: UInt32) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        scratch.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error(.syntax, "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error(.syntax, "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw error(.syntax, "invalid number")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                throw error(.syntax, "leading zeros are not allowed in numbers")
            }
        } else {
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            if index == digits { throw error(.syntax, "expected digits after the decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            if index == digits { throw error(.syntax, "expected digits in the exponent") }
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        let negative = slice.first == UInt8(ascii: "-")
        // Up to 18 digits always fit in Int64; longer integers are checked by `Int64(text)` below.
        if isInteger, slice.count - (negative ? 1 : 0) <= 18 {
            var value: Int64 = 0
            for b in slice where b != UInt8(ascii: "-") {
                value = value &* 10 &+ Int64(b &- UInt8(ascii: "0"))
            }
            return .int(negative ? -value : value)
        }
        let text = String(decoding: slice, as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw error(.syntax, "invalid number") }
        return .double(d)
    }
}
