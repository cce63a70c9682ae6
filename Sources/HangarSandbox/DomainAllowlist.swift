/// The domains a sandbox may reach through the egress proxy: exact names, or `*.example.com`
/// for any name below example.com (not example.com itself). Case-insensitive; a trailing dot
/// is ignored. IP literals only match when listed as such.
public struct DomainAllowlist: Sendable, Hashable {
    public enum Pattern: Sendable, Hashable {
        case exact(String)
        /// The suffix without the `*`, e.g. `.example.com`.
        case subdomains(String)

        /// Parses one entry; nil when it is not a host name or a `*.` wildcard over one.
        public init?(_ text: String) {
            let lower = Self.normalize(text)
            if lower.hasPrefix("*.") {
                let rest = String(lower.dropFirst(2))
                guard Self.isHostName(rest), rest.contains(".") || rest == "localhost" else { return nil }
                self = .subdomains("." + rest)
            } else {
                guard Self.isHostName(lower) else { return nil }
                self = .exact(lower)
            }
        }

        func matches(_ host: String) -> Bool {
            switch self {
            case .exact(let name): host == name
            case .subdomains(let suffix): host.hasSuffix(suffix) && host.count > suffix.count
            }
        }

        static func normalize(_ text: String) -> String {
            var lower = text.lowercased()
            if lower.hasSuffix(".") { lower.removeLast() }
            return lower
        }

        /// Labels of letters, digits and hyphens (also IPv4 literals); at most 253 characters.
        static func isHostName(_ name: String) -> Bool {
            guard !name.isEmpty, name.utf8.count <= 253 else { return false }
            return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
            }
        }
    }

    public let patterns: [Pattern]

    /// Throws `SandboxError.invalidSpec` naming the first entry that is not a domain.
    public init(_ domains: [String]) throws {
        patterns = try domains.map { domain in
            guard let pattern = Pattern(domain) else {
                throw SandboxError(.invalidSpec, "not a domain name or *.wildcard", detail: domain)
            }
            return pattern
        }
    }

    /// Whether `host` (as written in a request) may be reached.
    public func allows(_ host: String) -> Bool {
        let name = Pattern.normalize(host)
        guard Pattern.isHostName(name) else { return false }
        return patterns.contains { $0.matches(name) }
    }
}
