import Foundation

/// The head of one request a sandbox sends to the egress proxy: `CONNECT host:port` (a
/// tunnel, for HTTPS) or a plain request in absolute form (`GET http://host/path HTTP/1.1`).
struct ProxyRequestHead: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case tunnel, forward }
    let kind: Kind
    let host: String
    let port: Int
    /// For `.forward`: the head to send upstream (origin-form target, hop-by-hop and proxy
    /// headers removed, `Connection: close`).
    let upstreamHead: [UInt8]

    enum ParseError: Error, Sendable, Equatable { case malformed(String) }

    /// Parses the bytes before the blank line (without it).
    init(_ head: [UInt8]) throws(ParseError) {
        guard let text = String(validating: head, as: UTF8.self) else { throw .malformed("not UTF-8") }
        var lines = text.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { throw .malformed("request line") }
        let method = String(requestLine[0]), target = String(requestLine[1]), version = String(requestLine[2])
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter && $0.isUppercase }) else { throw .malformed("method") }
        if method == "CONNECT" {
            let (host, port) = try Self.authority(target, defaultPort: nil)
            self.kind = .tunnel
            self.host = host
            self.port = port
            self.upstreamHead = []
            return
        }
        guard target.lowercased().hasPrefix("http://") else { throw .malformed("only http:// targets; use CONNECT for https") }
        let rest = target.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let (host, port) = try Self.authority(String(rest[..<authorityEnd]), defaultPort: 80)
        var path = String(rest[authorityEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        var out = "\(method) \(path) \(version)\r\n"
        let dropped: Set<String> = ["proxy-connection", "proxy-authorization", "connection", "keep-alive"]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("header line") }
            if dropped.contains(line[..<colon].lowercased()) { continue }
            out += line + "\r\n"
        }
        out += "Connection: close\r\n\r\n"
        self.kind = .forward
        self.host = host
        self.port = port
        self.upstreamHead = Array(out.utf8)
    }

    /// `host:port`, `[v6]:port`, or `host` when a default port is given.
    static func authority(_ text: String, defaultPort: Int?) throws(ParseError) -> (String, Int) {
        guard !text.isEmpty, !text.contains("@") else { throw .malformed("authority") }
        var host: Substring, portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .malformed("IPv6 literal") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .malformed("authority") }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = Substring(text)
        }
        guard !host.isEmpty else { throw .malformed("host") }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw .malformed("port") }
            return (String(host), port)
        }
        guard let defaultPort else { throw .malformed("CONNECT needs a port") }
        return (String(host), defaultPort)
    }
}
