import HangarCore

/// Typed reads of a manifest's keys, each failing with a message that names the key and the
/// type it needs. Keys never read are left in `unread`.
struct ManifestFields {
    private(set) var unread: JSONObject
    let source: PackageManifest.Source

    init(_ object: JSONObject, source: PackageManifest.Source) {
        unread = object
        self.source = source
    }

    private mutating func take(_ key: String) -> JSONValue? {
        guard let value = unread.removeValue(forKey: key), !value.isNull else { return nil }
        return value
    }

    private func wrong(_ key: String, _ needs: String) -> PackageError {
        PackageManifest.invalid(source, "\(key) must be \(needs)")
    }

    mutating func string(_ key: String, required: Bool = false) throws(PackageError) -> String? {
        guard let value = take(key) else {
            if required { throw wrong(key, "a string, and it is missing") }
            return nil
        }
        guard let text = value.stringValue else { throw wrong(key, "a string, not \(value.typeName)") }
        return text
    }

    mutating func stringList(_ key: String) throws(PackageError) -> [String]? {
        guard let value = take(key) else { return nil }
        guard let items = value.arrayValue else { throw wrong(key, "a non-empty list of strings") }
        var strings: [String] = []
        for item in items {
            guard let text = item.stringValue, !text.contains("\0") else { throw wrong(key, "a non-empty list of strings") }
            strings.append(text)
        }
        return strings
    }

    mutating func stringMap(_ key: String) throws(PackageError) -> [String: String]? {
        guard let value = take(key) else { return nil }
        guard let object = value.objectValue else { throw wrong(key, "an object of string values, not \(value.typeName)") }
        var map: [String: String] = [:]
        for (name, item) in object {
            guard !name.isEmpty, !name.contains("="), !name.contains("\0") else {
                throw PackageManifest.invalid(source, "\(key) has an invalid variable name '\(name)'")
            }
            guard let text = item.stringValue else { throw wrong("\(key).\(name)", "a string, not \(item.typeName)") }
            map[name] = text
        }
        return map
    }

    mutating func bool(_ key: String) throws(PackageError) -> Bool? {
        guard let value = take(key) else { return nil }
        guard let flag = value.boolValue else { throw wrong(key, "true or false, not \(value.typeName)") }
        return flag
    }

    mutating func positiveNumber(_ key: String) throws(PackageError) -> Double? {
        guard let value = take(key) else { return nil }
        guard let number = value.doubleValue, number > 0, number.isFinite else { throw wrong(key, "a positive number") }
        return number
    }

    mutating func positiveInt(_ key: String) throws(PackageError) -> Int? {
        guard let value = take(key) else { return nil }
        guard let number = value.intValue, number > 0, number <= Int32.max else { throw wrong(key, "a positive integer") }
        return Int(number)
    }

    /// Bytes as an integer or a string with a K, M or G suffix (powers of 1024): `536870912`, `"512M"`.
    mutating func byteCount(_ key: String) throws(PackageError) -> Int? {
        guard let value = take(key) else { return nil }
        if let number = value.intValue, number > 0 { return Int(number) }
        guard var text = value.stringValue?.uppercased(), !text.isEmpty else {
            throw wrong(key, "a positive number of bytes or a string such as \"512M\"")
        }
        if text.hasSuffix("IB") || text.hasSuffix("B") { text = String(text.dropLast(text.hasSuffix("IB") ? 2 : 1)) }
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30]
        let shift = text.last.flatMap { shifts[$0] } ?? 0
        if shift > 0 { text.removeLast() }
        guard let number = Int(text), number > 0, number < 1 << (62 - shift) else {
            throw wrong(key, "a positive number of bytes or a string such as \"512M\"")
        }
        return number << shift
    }

    /// `"none"` or a list of hosts (`host` or `host:port`).
    mutating func network(_ key: String) throws(PackageError) -> PackageManifest.Network {
        guard let value = take(key) else { return .none }
        if value.stringValue == "none" { return .none }
        guard let items = value.arrayValue else { throw wrong(key, "\"none\" or a list of domains") }
        var hosts: [String] = []
        for item in items {
            guard let host = item.stringValue, Self.isHost(host) else {
                throw wrong(key, "\"none\" or a list of domains; '\(item.stringValue ?? item.typeName)' is not a host or host:port")
            }
            hosts.append(host.lowercased())
        }
        return hosts.isEmpty ? .none : .allowlist(hosts)
    }

    static func isHost(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].utf8.count <= 253 else { return false }
        if parts.count == 2 { guard let port = Int(parts[1]), (1...65_535).contains(port) else { return false } }
        return parts[0].unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-*".unicodeScalars.contains($0)) }
    }
}
