import HangarCore

/// One 2026-07-28 MCP request, ready to send many times: the body with only its id left to
/// fill in, and the HTTP header block such a request carries.
struct MCPRequest: Sendable {
    let method: String
    /// The tool name (`Mcp-Name`) of a `tools/call`.
    let name: String?
    /// Everything of the body but the id's value and the closing brace.
    private let head: [UInt8]

    static let modernVersion = "2026-07-28"
    /// What the official SDK's client (`mcp` 2.x) puts in every 2026-07-28 request, clientInfo
    /// included, as the spec says a client should. Hangar sends its own on every request it
    /// forwards; a direct client that left it out would spare the upstream that work (about
    /// 20 us a call in mcp-server-time) and charge it to Hangar.
    static let modernMeta: JSONValue = [
        "io.modelcontextprotocol/protocolVersion": .string(modernVersion),
        "io.modelcontextprotocol/clientCapabilities": [:],
        "io.modelcontextprotocol/clientInfo": ["name": "GatewayBenchmark", "version": "0.1.0"],
    ]

    init(method: String, name: String? = nil, arguments: JSONValue? = nil) {
        self.method = method
        self.name = name
        var params = JSONObject()
        if let name { params["name"] = .string(name) }
        if let arguments { params["arguments"] = arguments }
        params["_meta"] = Self.modernMeta
        var head = Array(#"{"jsonrpc":"2.0","method":"#.utf8)
        JSONWriter.writeString(method, into: &head)
        head += #","params":"#.utf8
        JSONWriter.write(.object(params), into: &head)
        head += #","id":"#.utf8
        self.head = head
    }

    static func toolsCall(_ name: String, _ arguments: JSONValue) -> MCPRequest {
        MCPRequest(method: "tools/call", name: name, arguments: arguments)
    }

    /// The JSON body with this id.
    func body(id: Int64) -> [UInt8] {
        var bytes = head
        bytes.reserveCapacity(head.count + 24)
        appendDecimal(Int(id), to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The body as one newline-terminated stdio message.
    func line(id: Int64) -> [UInt8] {
        var bytes = body(id: id)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// A whole HTTP/1.1 POST to `/mcp` on `port`, headers and body, for one write.
    func httpRequest(id: Int64, port: Int) -> [UInt8] {
        httpRequest(id: id, head: httpHead(port: port))
    }

    /// The request line and every header but Content-Length, made once for many requests.
    func httpHead(port: Int) -> [UInt8] {
        var text = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
        text += "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: \(Self.modernVersion)\r\n"
        text += "Mcp-Method: \(method)\r\n"
        if let name { text += "Mcp-Name: \(name)\r\n" }
        text += "Content-Length: "
        return Array(text.utf8)
    }

    /// The request with this id after a head from ``httpHead(port:)``: the timed loops build
    /// only the length and the body, so that a call costs the client little.
    func httpRequest(id: Int64, head: [UInt8]) -> [UInt8] {
        let body = body(id: id)
        var bytes = head
        bytes.reserveCapacity(head.count + 24 + body.count)
        appendDecimal(body.count, to: &bytes)
        bytes += [13, 10, 13, 10]
        bytes += body
        return bytes
    }

    /// The HTTP headers of this request, for clients that build their own request.
    var httpHeaders: [(String, String)] {
        var headers = [
            ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", Self.modernVersion), ("Mcp-Method", method),
        ]
        if let name { headers.append(("Mcp-Name", name)) }
        return headers
    }
}

/// Reads the few facts the timed loops need from an answer without parsing it whole.
enum ResponseScan {
    /// The integer id of a JSON-RPC response: the first `"id":` member (the envelope's, since
    /// every peer here writes `id` before `result`).
    static func id(in bytes: UnsafeRawBufferPointer) -> Int64? {
        guard let at = find(#""id":"#, in: bytes) else { return nil }
        var i = at + 5
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            value = value * 10 + Int64(bytes[i] - UInt8(ascii: "0"))
            i += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Whether the answer is a JSON-RPC error or a tool error.
    static func isError(_ bytes: UnsafeRawBufferPointer) -> Bool {
        find(#""error":"#, in: bytes) != nil || find(#""isError":true"#, in: bytes) != nil
    }

    static func find(_ needle: StaticString, in bytes: UnsafeRawBufferPointer) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard bytes.count >= n else { return nil }
        return needle.withUTF8Buffer { pattern -> Int? in
            let first = pattern[0]
            var i = 0
            while i <= bytes.count - n {
                if bytes[i] == first {
                    var j = 1
                    while j < n, bytes[i + j] == pattern[j] { j += 1 }
                    if j == n { return i }
                }
                i += 1
            }
            return nil
        }
    }
}

/// Appends the decimal digits of a non-negative `value` without making a string.
func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    if value >= 10 { appendDecimal(value / 10, to: &bytes) }
    bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
}
