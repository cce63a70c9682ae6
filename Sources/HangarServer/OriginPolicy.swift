/// Which browser origins may talk to the endpoint: localhost ones always, others only when listed.
/// Requests without an Origin header (non-browser clients) are allowed.
public struct OriginPolicy: Sendable {
    public var allowed: Set<String>

    public init(allowed: [String]) {
        self.allowed = Set(allowed)
    }

    public func permits(_ origin: String?) -> Bool {
        guard let origin, !origin.isEmpty else { return true }
        if allowed.contains(origin) { return true }
        guard let schemeEnd = origin.range(of: "://") else { return false }
        let scheme = origin[..<schemeEnd.lowerBound]
        guard scheme == "http" || scheme == "https" else { return false }
        var host = origin[schemeEnd.upperBound...]
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            host = host[host.index(after: host.startIndex)..<close]
            return host == "::1"
        }
        if let colon = host.firstIndex(of: ":") { host = host[..<colon] }
        return host == "localhost" || host == "127.0.0.1"
    }
}
