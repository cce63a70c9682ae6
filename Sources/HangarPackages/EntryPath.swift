/// Entry names as archives store them, turned into safe relative paths or refused.
enum EntryPath {
    /// The normalised path of a raw entry name: `/`-separated, no empty, `.` or `..` components.
    /// Refuses absolute paths, `..`, backslashes, NUL and control characters, invalid UTF-8,
    /// and paths longer or deeper than the limits.
    static func normalise(_ raw: [UInt8], limits: PackageLimits) throws(PackageError) -> String {
        let shown = display(raw)
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw PackageError(.unsafePath, "entry '\(shown)' has a name that is not valid UTF-8", entry: shown)
        }
        return try normalise(name, limits: limits)
    }

    static func normalise(_ name: String, limits: PackageLimits) throws(PackageError) -> String {
        let shown = display(Array(name.utf8))
        guard !name.isEmpty else { throw PackageError(.unsafePath, "an entry has an empty name", entry: "") }
        if name.utf8.contains(0) {
            throw PackageError(.unsafePath, "entry '\(shown)' has a NUL byte in its name", entry: shown)
        }
        if name.utf8.contains(UInt8(ascii: "\\")) {
            throw PackageError(.unsafePath, "entry '\(shown)' has a backslash in its name; use '/' between folders", entry: shown)
        }
        if name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw PackageError(.unsafePath, "entry '\(shown)' has a control character in its name", entry: shown)
        }
        if name.hasPrefix("/") {
            throw PackageError(.unsafePath, "entry '\(shown)' is an absolute path; archive paths must be relative", entry: shown)
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if components.contains("..") {
            throw PackageError(.unsafePath, "entry '\(shown)' has a '..' component, which could write outside the package", entry: shown)
        }
        if let first = components.first, first.count >= 2, first.first?.isLetter == true, first.dropFirst().first == ":" {
            throw PackageError(.unsafePath, "entry '\(shown)' starts with a drive letter; archive paths must be relative", entry: shown)
        }
        guard !components.isEmpty else {
            throw PackageError(.unsafePath, "entry '\(shown)' names the package root itself", entry: shown)
        }
        let path = components.joined(separator: "/")
        if path.utf8.count > limits.maxPathBytes {
            throw PackageError(.unsafePath, "entry '\(shown.prefix(80))...' has a path of \(path.utf8.count) bytes; the limit is \(limits.maxPathBytes)", entry: path)
        }
        if components.count > limits.maxPathDepth {
            throw PackageError(.unsafePath, "entry '\(shown)' is \(components.count) folders deep; the limit is \(limits.maxPathDepth)", entry: path)
        }
        if components.contains(where: { $0.utf8.count > 255 }) {
            throw PackageError(.unsafePath, "entry '\(shown)' has a name component longer than 255 bytes", entry: path)
        }
        return path
    }

    /// The name as it can be shown in a message: control bytes and invalid UTF-8 escaped.
    static func display(_ raw: [UInt8]) -> String {
        var out = ""
        for scalar in String(decoding: raw.prefix(300), as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// True for `.`, `./` and the like: the package root itself, which tar writes as a folder entry.
    static func isRoot(_ raw: [UInt8]) -> Bool {
        !raw.isEmpty && raw.split(separator: UInt8(ascii: "/")).allSatisfy { $0.elementsEqual([UInt8(ascii: ".")]) }
    }

    /// The components of the folder holding `path`.
    static func parentComponents(of path: String) -> [Substring] {
        Array(path.split(separator: "/").dropLast())
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
