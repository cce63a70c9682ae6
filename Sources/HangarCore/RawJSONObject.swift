/// One JSON object's text as it was received, checked, with the place of each member. It lets
/// Hangar pass an upstream's result to its client as it came, instead of building it as a
/// `JSONValue` and writing it out again; what Hangar reads of it (a few members) is parsed on
/// its own, and what it changes is spliced in.
///
/// Made only from text that `JSONParser` would accept under the same limits, and only when
/// passing the text on means the same as parsing and writing it: no key repeats in any object
/// and no key has an escape (so keys compare as bytes). Anything else, valid or not, is left to
/// `JSONParser`, whose value (or precise error) the caller then uses.
public struct RawJSONObject: Sendable {
    public struct Member: Sendable {
        public let key: String
        /// From the key's opening quote to the end of the value.
        fileprivate let span: Range<Int>
        fileprivate let value: Range<Int>
    }

    /// The object's text: no whitespace around it.
    public let bytes: [UInt8]
    public let members: [Member]
    /// The members of members that are objects (one level down only), all in one array:
    /// `innerRanges[i]` says where member `i`'s are, nil when its value is not an object.
    /// Known for an object scanned from text; empty for one taken out of another (`object`)
    /// or made by `replacing`, which are passed on, not looked into.
    private let innerMembers: [Member]
    private let innerRanges: [Range<Int>?]
    private let limits: JSONLimits

    private init(bytes: [UInt8], members: [Member], innerMembers: [Member] = [], innerRanges: [Range<Int>?] = [], limits: JSONLimits) {
        self.bytes = bytes
        self.members = members
        self.innerMembers = innerMembers
        self.innerRanges = innerRanges
        self.limits = limits
    }

    /// The object in `text`, or nil when the text is not an object Hangar may pass on as it is
    /// (see the type's note), including when it is not valid JSON.
    public init?(validating text: some Collection<UInt8>, limits: JSONLimits) {
        guard text.count <= limits.maxMessageBytes else { return nil }
        let bytes = Array(text)
        let scanned = bytes.withUnsafeBytes { buffer -> (range: Range<Int>, members: [Member], inner: [Member], innerRanges: [Range<Int>?])? in
            var scanner = Scanner(bytes: buffer, limits: limits)
            return scanner.scanDocument().map { ($0, scanner.top, scanner.innerMembers, scanner.innerRanges) }
        }
        guard let scanned else { return nil }
        // Whitespace around the object is dropped, so the text can go inside other JSON.
        let range = scanned.range
        if range == bytes.indices {
            self.init(bytes: bytes, members: scanned.members, innerMembers: scanned.inner, innerRanges: scanned.innerRanges, limits: limits)
        } else {
            self.init(bytes: Array(bytes[range]), members: scanned.members.map { $0.shifted(by: -range.lowerBound) },
                      innerMembers: scanned.inner.map { $0.shifted(by: -range.lowerBound) }, innerRanges: scanned.innerRanges, limits: limits)
        }
    }

    private func index(of key: String) -> Int? {
        members.firstIndex { $0.key == key }
    }

    /// The value of member `key`, parsed on its own; nil when there is no such member.
    public subscript(key: String) -> JSONValue? {
        guard let i = index(of: key) else { return nil }
        return Self.parse(bytes[members[i].value], limits: limits)
    }

    /// Whether member `key` is written exactly as `text` (no whitespace, the same escapes).
    public func member(_ key: String, isWritten text: StaticString) -> Bool {
        guard let i = index(of: key) else { return false }
        let range = members[i].value
        return range.count == text.utf8CodeUnitCount
            && text.withUTF8Buffer { bytes[range].elementsEqual($0) }
    }

    /// Whether member `key` is an object (for an object scanned from text; see `innerMembers`).
    public func isObject(_ key: String) -> Bool {
        index(of: key).map { innerMembers(of: $0) != nil } ?? false
    }

    /// Member `key` when it is an object, kept as text.
    public func object(_ key: String) -> RawJSONObject? {
        guard let i = index(of: key), let members = innerMembers(of: i) else { return nil }
        let range = self.members[i].value
        return RawJSONObject(bytes: Array(bytes[range]), members: members.map { $0.shifted(by: -range.lowerBound) }, limits: limits)
    }

    /// The members of member `i` when its value is an object (see `innerMembers`).
    private func innerMembers(of i: Int) -> ArraySlice<Member>? {
        guard i < innerRanges.count, let range = innerRanges[i] else { return nil }
        return innerMembers[range]
    }

    /// The whole object as a value.
    public var value: JSONValue {
        Self.parse(bytes[...], limits: limits)
    }

    /// Text checked when this object was made parses; a failure here would be a bug in the
    /// scanner, and gives null rather than stopping the daemon.
    private static func parse(_ text: ArraySlice<UInt8>, limits: JSONLimits) -> JSONValue {
        do {
            return try JSONParser.parse(text, limits: limits)
        } catch {
            assertionFailure("RawJSONObject holds text JSONParser refuses: \(error)")
            return .null
        }
    }

    /// The object with each member in `changes` set to its value, or removed where the value is
    /// nil. A member keeps its place; new ones go at the end, in the order given.
    public func replacing(_ changes: [(key: String, value: JSONValue?)]) -> RawJSONObject {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 128)
        var made: [Member] = []
        made.reserveCapacity(members.count + changes.count)
        out.append(UInt8(ascii: "{"))
        func write(_ key: String, _ value: JSONValue) {
            if made.count > 0 { out.append(UInt8(ascii: ",")) }
            let start = out.count
            JSONWriter.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            let valueStart = out.count
            JSONWriter.write(value, into: &out)
            made.append(Member(key: key, span: start..<out.count, value: valueStart..<out.count))
        }
        for member in members {
            if let change = changes.first(where: { $0.key == member.key }) {
                if let value = change.value { write(member.key, value) }
                continue
            }
            if made.count > 0 { out.append(UInt8(ascii: ",")) }
            let shift = out.count - member.span.lowerBound
            out.append(contentsOf: bytes[member.span])
            made.append(member.shifted(by: shift))
        }
        for change in changes where index(of: change.key) == nil {
            if let value = change.value { write(change.key, value) }
        }
        out.append(UInt8(ascii: "}"))
        return RawJSONObject(bytes: out, members: made, limits: limits)
    }
}

extension RawJSONObject.Member {
    fileprivate func shifted(by offset: Int) -> Self {
        Self(key: key, span: (span.lowerBound + offset)..<(span.upperBound + offset),
             value: (value.lowerBound + offset)..<(value.upperBound + offset))
    }
}

/// Checks JSON text as strictly as `JSONParser` (grammar, UTF-8, limits) without building
/// values; records the members of the top-level object and of its members that are objects.
private struct Scanner: ~Copyable {
    let bytes: UnsafeRawBufferPointer
    let limits: JSONLimits
    var index = 0
    var top: [RawJSONObject.Member] = []
    /// The members of top-level members that are objects, in order; `innerRanges[i]` is where
    /// `top[i]`'s are (nil when its value is not an object). One array, not one per object.
    var innerMembers: [RawJSONObject.Member] = []
    var innerRanges: [Range<Int>?] = []
    /// Keys of the objects open now, innermost last, for the repeated-key check.
    private var keys: [Range<Int>] = []

    init(bytes: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
        keys.reserveCapacity(32)
        top.reserveCapacity(8)
        innerRanges.reserveCapacity(8)
        innerMembers.reserveCapacity(16)
    }

    /// Where the object is, when the text is one object with only whitespace around it.
    mutating func scanDocument() -> Range<Int>? {
        skipWhitespace()
        let start = index
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{"), scanValue(depth: 0) else { return nil }
        let end = index
        skipWhitespace()
        return index == bytes.count ? start..<end : nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func scanValue(depth: Int) -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"): return scanObject(depth: depth + 1)
        case UInt8(ascii: "["): return scanArray(depth: depth + 1)
        case UInt8(ascii: "\""): return scanString() != nil
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return scanNumber()
        default: return false
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { return false }
        index += count
        return true
    }

    private mutating func scanObject(depth: Int) -> Bool {
        if depth > limits.maxDepth { return false }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return true
        }
        let base = keys.count
        defer { keys.removeSubrange(base...) }
        while true {
            skipWhitespace()
            let keyStart = index
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let escaped = scanString(), !escaped else { return false }
            let key = (keyStart + 1)..<(index - 1)
            keys.append(key)
            if keys.count - base > limits.maxContainerCount { return false }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            let valueStart = index, innerStart = innerMembers.count
            guard scanValue(depth: depth) else { return false }
            if depth <= 2 {
                let member = RawJSONObject.Member(key: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[key]), as: UTF8.self),
                                                  span: keyStart..<index, value: valueStart..<index)
                if depth == 1 {
                    innerRanges.append(bytes[valueStart] == UInt8(ascii: "{") ? innerStart..<innerMembers.count : nil)
                    top.append(member)
                } else {
                    innerMembers.append(member)
                }
            }
            skipWhitespace()
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "}") else { return false }
            index += 1
            return keysAreDistinct(from: base)
        }
    }

    /// Whether the keys of the object just scanned (from `base` on the stack) all differ.
    private func keysAreDistinct(from base: Int) -> Bool {
        let count = keys.count - base
        if count < 2 { return true }
        func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            a.count == b.count && UnsafeRawBufferPointer(rebasing: bytes[a]).elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[b]))
        }
        if count <= 16 {
            for i in base..<(keys.count - 1) {
                for j in (i + 1)..<keys.count where same(keys[i], keys[j]) { return false }
            }
            return true
        }
        // Larger objects: hash each key; only a repeated hash needs a byte comparison.
        var seen: [Int: Range<Int>] = [:]
        seen.reserveCapacity(count)
        for key in keys[base...] {
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[key]))
            let hash = hasher.finalize()
            if let other = seen[hash] {
                if same(other, key) { return false }
                // A collision of different keys: compare this one with every key instead.
                if keys[base...].contains(where: { $0 != key && same($0, key) }) { return false }
            } else {
                seen[hash] = key
            }
        }
        return true
    }

    private mutating func scanArray(depth: Int) -> Bool {
        if depth > limits.maxDepth { return false }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return true
        }
        var count = 0
        while true {
            skipWhitespace()
            guard scanValue(depth: depth) else { return false }
            count += 1
            if count > limits.maxContainerCount { return false }
            skipWhitespace()
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "]") else { return false }
            index += 1
            return true
        }
    }

    /// Scans a string from its opening quote; nil when it is not valid, else whether it has
    /// an escape.
    private mutating func scanString() -> Bool? {
        index += 1
        var escaped = false
        let end = bytes.count
        while index < end {
            let b = bytes[index]
            // Most bytes are plain ASCII: one test for them.
            if b >= 0x20, b < 0x80, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return escaped
            case UInt8(ascii: "\\"):
                escaped = true
                guard index + 1 < end else { return nil }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 6 <= end else { return nil }
                    for k in (index + 2)..<(index + 6) where !Self.isHex(bytes[k]) { return nil }
                    index += 6
                default:
                    return nil
                }
            case 0..<0x20:
                return nil
            default:
                guard let length = utf8Sequence(at: index) else { return nil }
                index += length
            }
        }
        return nil
    }

    private static func isHex(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }

    /// The length of the well-formed UTF-8 sequence at `i` (lead byte 0x80 or above), or nil.
    private func utf8Sequence(at i: Int) -> Int? {
        let lead = bytes[i]
        let length: Int, second: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)  // not the surrogates
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)  // up to U+10FFFF
        default: return nil
        }
        guard i + length <= bytes.count, second.contains(bytes[i + 1]) else { return nil }
        for k in (i + 2)..<(i + length) where !(0x80...0xBF).contains(bytes[k]) { return nil }
        return length
    }

    private mutating func scanNumber() -> Bool {
        func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { return false }
        } else if digits() == 0 {
            return false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { return false }
        }
        return true
    }
}
