import HTTPTypes
import NIOCore

/// HTTP/1.1 on the wire for the requests ``DirectRequestHandler`` answers itself: a request
/// head read straight from the socket's bytes (for `POST /mcp`, only the fields its endpoint
/// reads, as ``MCPHeaders``; for another request, an `HTTPRequest`), and a response head, or a
/// whole JSON answer, written straight to bytes. NIO's decoder builds `HTTPHeaders` through
/// llhttp's callbacks, and `HTTP1ToHTTPServerCodec` then converts them to `HTTPFields` and runs
/// every request target through Foundation's `URLComponents`; on the way out it converts back.
/// Here each field is read once.
///
/// The parser is strict on purpose: it accepts only the plain form clients send (origin-form
/// target, `HTTP/1.1`, `name: value` lines of visible ASCII, one numeric Content-Length).
/// Anything else, such as a chunked body, `Expect`, `Upgrade`, obs-fold, HTTP/1.0, an
/// absolute-form target, non-ASCII bytes or a malformed line, is `.unsupported`, and the
/// connection's bytes go to NIO's decoder, which answers or refuses them as before.
enum HTTP1Wire {
    /// The longest request head read here; a longer one goes to NIO, which applies its limits.
    static let maxHeadBytes = 64 << 10
    static let maxFields = 128

    struct Head {
        var kind: Kind
        /// Bytes of the head, with the blank line that ends it.
        var length: Int
        var bodyLength: Int
        /// The request asks to close the connection after its answer (`Connection: close`).
        var closes: Bool
    }

    enum Kind {
        /// `POST /mcp`, most of the traffic: only the fields the endpoint reads are kept, and
        /// no `HTTPRequest` is built.
        case mcpPost(MCPHeaders)
        case request(HTTPRequest)
    }

    enum Parsed {
        /// The head has not ended yet; the bytes searched so far hold no blank line.
        case incomplete(searched: Int)
        case unsupported
        case head(Head)
    }

    private static let methods: [(bytes: [UInt8], method: HTTPRequest.Method)] = [
        (Array("POST ".utf8), .post), (Array("GET ".utf8), .get), (Array("DELETE ".utf8), .delete),
        (Array("PUT ".utf8), .put), (Array("PATCH ".utf8), .patch),
    ]
    private static let version = Array(" HTTP/1.1\r\n".utf8)
    private static let mcpPath = Array("/mcp".utf8)

    /// Field names clients send on most requests, recognised in place (in any case) so that
    /// no name string is made, checked and lowercased for them.
    private static let commonNames: [(spelled: StaticString, name: HTTPField.Name)] = [
        ("content-type", .contentType), ("accept", .accept), ("mcp-protocol-version", HTTPReplies.versionHeader),
        ("mcp-method", HTTPReplies.methodHeader), ("mcp-name", HTTPReplies.nameHeader),
        ("mcp-session-id", HTTPReplies.sessionHeader), ("authorization", .authorization), ("origin", .origin),
        ("user-agent", .userAgent), ("accept-encoding", .acceptEncoding), ("connection", .connection),
        ("content-length", .contentLength),
    ]

    /// RFC 9110 token characters, by byte.
    private static let tokenBytes: [Bool] = (0..<256).map { byte in
        let c = UInt8(byte)
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(c)
        }
    }

    /// Parses the head at the start of `bytes`; `searched` is how far an earlier call found no
    /// blank line, so a head that arrives a byte at a time is not searched again from its start.
    static func parse(_ bytes: UnsafeRawBufferPointer, searched: Int, maxBodyBytes: Int) -> Parsed {
        guard let end = blankLine(in: bytes, from: max(0, searched - 3)) else {
            return bytes.count > maxHeadBytes ? .unsupported : .incomplete(searched: bytes.count)
        }
        guard end <= maxHeadBytes else { return .unsupported }
        var reader = Reader(bytes: bytes, end: end)
        return reader.head(maxBodyBytes: maxBodyBytes).map(Parsed.head) ?? .unsupported
    }

    /// The offset just past the first CRLF CRLF at or after `from`, if any.
    private static func blankLine(in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        while i + 3 < bytes.count {
            if bytes[i + 3] != 0x0A {
                i += bytes[i + 3] == 0x0D ? 1 : 4
                continue
            }
            if bytes[i] == 0x0D, bytes[i + 1] == 0x0A, bytes[i + 2] == 0x0D { return i + 4 }
            i += 1
        }
        return nil
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let end: Int
        var at = 0

        init(bytes: UnsafeRawBufferPointer, end: Int) {
            self.bytes = bytes
            self.end = end
        }

        mutating func skip(_ literal: [UInt8]) -> Bool {
            guard at + literal.count <= end else { return false }
            for (offset, byte) in literal.enumerated() where bytes[at + offset] != byte { return false }
            at += literal.count
            return true
        }

        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }

        /// Whether `range` spells `name`, which is lowercase, in any case.
        func equals(_ range: Range<Int>, lowercase name: StaticString) -> Bool {
            guard range.count == name.utf8CodeUnitCount else { return false }
            let spelled = name.utf8Start
            for offset in 0..<range.count where bytes[range.lowerBound + offset] | 0x20 != spelled[offset] { return false }
            return true
        }

        mutating func head(maxBodyBytes: Int) -> Head? {
            guard let method = HTTP1Wire.methods.first(where: { skip($0.bytes) })?.method else { return nil }
            // origin-form target: "/" then visible ASCII up to the space.
            let targetStart = at
            guard at < end, bytes[at] == UInt8(ascii: "/") else { return nil }
            while at < end, bytes[at] > 0x20, bytes[at] < 0x7F { at += 1 }
            let target = targetStart..<at
            guard skip(HTTP1Wire.version) else { return nil }

            // For `POST /mcp` only the endpoint's fields are kept; for another request, all.
            var mcp = method == .post && spells(target, HTTP1Wire.mcpPath) ? MCPHeaders() : nil
            var fields = HTTPFields()
            if mcp == nil { fields.reserveCapacity(12) }  // room for what clients send: one allocation
            var authority: String?
            var bodyLength: Int?
            var closes = false
            var count = 0
            while true {
                if at + 2 <= end, bytes[at] == 0x0D, bytes[at + 1] == 0x0A {
                    at += 2
                    break
                }
                guard count < HTTP1Wire.maxFields else { return nil }
                count += 1
                let nameStart = at
                while at < end, HTTP1Wire.tokenBytes[Int(bytes[at])] { at += 1 }
                let name = nameStart..<at
                guard !name.isEmpty, at < end, bytes[at] == UInt8(ascii: ":") else { return nil }
                at += 1
                while at < end, bytes[at] == 0x20 || bytes[at] == 0x09 { at += 1 }
                let valueStart = at
                var valueEnd = at
                while at < end, bytes[at] != 0x0D {
                    let byte = bytes[at]
                    guard (byte >= 0x20 && byte < 0x7F) || byte == 0x09 else { return nil }
                    at += 1
                    if byte != 0x20, byte != 0x09 { valueEnd = at }
                }
                guard at + 1 < end, bytes[at + 1] == 0x0A else { return nil }
                at += 2
                let value = valueStart..<valueEnd

                if equals(name, lowercase: "content-length") {
                    guard bodyLength == nil, let length = decimal(value), length <= maxBodyBytes else { return nil }
                    bodyLength = length
                } else if equals(name, lowercase: "transfer-encoding") || equals(name, lowercase: "expect")
                    || equals(name, lowercase: "upgrade") {
                    return nil
                } else if equals(name, lowercase: "connection"), HTTP1Wire.asksClose(text(value)) {
                    closes = true
                }
                if mcp != nil {
                    if let slot = MCPHeaders.names.firstIndex(where: { equals(name, lowercase: $0) }) {
                        mcp!.set(slot, text(value))
                    }
                    continue
                }
                if authority == nil, equals(name, lowercase: "host") {
                    // As NIO's conversion does: the first Host is the authority, not a field.
                    authority = text(value)
                    continue
                }
                guard let fieldName = HTTP1Wire.commonNames.first(where: { equals(name, lowercase: $0.spelled) })?.name
                    ?? HTTPField.Name(text(name)) else { return nil }
                fields.append(HTTPField(name: fieldName, value: text(value)))
            }
            let kind: Kind
            if let mcp {
                kind = .mcpPost(mcp)
            } else {
                kind = .request(HTTPRequest(method: method, scheme: "http", authority: authority, path: text(target), headerFields: fields))
            }
            return Head(kind: kind, length: at, bodyLength: bodyLength ?? 0, closes: closes)
        }

        /// Whether `range` holds exactly `literal`.
        func spells(_ range: Range<Int>, _ literal: [UInt8]) -> Bool {
            range.count == literal.count && literal.indices.allSatisfy { bytes[range.lowerBound + $0] == literal[$0] }
        }

        /// A Content-Length value: digits only, at most seven of them.
        func decimal(_ range: Range<Int>) -> Int? {
            guard !range.isEmpty, range.count <= 7 else { return nil }
            var value = 0
            for i in range {
                let digit = Int(bytes[i]) - 0x30
                guard digit >= 0, digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }

    /// How a response's body is framed, decided as NIO's encoder decides it.
    enum Framing {
        /// No body may follow (1xx, 204, 304): Content-Length and Transfer-Encoding are dropped.
        case none
        case contentLength
        case chunked
    }

    /// Writes the response's head with the framing NIO's encoder would give it: a body of
    /// known length keeps its Content-Length and loses any Transfer-Encoding, another is sent
    /// chunked, and a status that has no body gets neither. With `closes`, the head says
    /// `Connection: close` in place of any Connection field. `date` and `server` are written as
    /// the Date and Server fields, in place of any the response has. One pass over the fields
    /// decides, a second writes them: the fields themselves are not changed.
    static func write(_ response: HTTPResponse, closes: Bool, date: String, server: String?,
                      into buffer: inout ByteBuffer) -> Framing {
        let code = response.status.code
        let framing: Framing
        if (100..<200).contains(code) || code == 204 || code == 304 {
            framing = .none
        } else if response.headerFields.contains(where: { $0.name == .contentLength }) {
            framing = .contentLength
        } else {
            framing = .chunked
        }
        writeStatusLine(response.status, into: &buffer)
        for field in response.headerFields {
            switch field.name {
            case .transferEncoding: continue
            case .contentLength where framing == .none: continue
            case .connection where closes: continue
            case .date, .server: continue
            default: writeLine(field, into: &buffer)
            }
        }
        writeStamp(date: date, server: server, into: &buffer)
        if framing == .chunked { buffer.writeStaticString("Transfer-Encoding: chunked\r\n") }
        if closes { buffer.writeStaticString("Connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        return framing
    }

    /// Writes a JSON answer, head and body, as `HTTPReplies.json` and ``write(_:closes:date:server:into:)``
    /// would together: Content-Type, `extra`, Content-Length, Date, Server, then the body.
    static func writeJSON(_ status: HTTPResponse.Status, extra: HTTPFields, body: [UInt8], closes: Bool, date: String,
                          server: String?, into buffer: inout ByteBuffer) {
        writeStatusLine(status, into: &buffer)
        buffer.writeStaticString("Content-Type: application/json\r\n")
        for field in extra { writeLine(field, into: &buffer) }
        buffer.writeStaticString("Content-Length: ")
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\n")
        writeStamp(date: date, server: server, into: &buffer)
        if closes { buffer.writeStaticString("Connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(body)
    }

    private static func writeStatusLine(_ status: HTTPResponse.Status, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
    }

    /// The Date and Server fields every answer carries.
    private static func writeStamp(date: String, server: String?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("Date: ")
        buffer.writeString(date)
        buffer.writeStaticString("\r\n")
        if let server {
            buffer.writeStaticString("Server: ")
            buffer.writeString(server)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Whether a request's or response's fields ask to close the connection after the
    /// response (`Connection: close`).
    static func closes(_ fields: HTTPFields) -> Bool {
        fields.contains { $0.name == .connection && asksClose($0.value) }
    }

    /// Whether a Connection field's value asks to close.
    static func asksClose(_ connection: String) -> Bool {
        connection.lowercased().contains("close")
    }

    private static func writeLine(_ field: HTTPField, into buffer: inout ByteBuffer) {
        buffer.writeString(field.name.rawName)
        buffer.writeStaticString(": ")
        buffer.writeString(field.value)
        buffer.writeStaticString("\r\n")
    }

    /// `name: value` lines, then the blank line.
    private static func write(_ fields: HTTPFields, into buffer: inout ByteBuffer) {
        for field in fields { writeLine(field, into: &buffer) }
        buffer.writeStaticString("\r\n")
    }

    /// One chunk of a chunked body: its size in hex, the bytes, CRLF.
    static func chunk(_ body: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var framed = allocator.buffer(capacity: body.readableBytes + 12)
        framed.writeString(String(body.readableBytes, radix: 16))
        framed.writeStaticString("\r\n")
        framed.writeImmutableBuffer(body)
        framed.writeStaticString("\r\n")
        return framed
    }

    /// The end of a chunked body, with its trailers.
    static func lastChunk(trailers: HTTPFields?, allocator: ByteBufferAllocator) -> ByteBuffer {
        var end = allocator.buffer(capacity: 5)
        end.writeStaticString("0\r\n")
        write(trailers ?? [:], into: &end)
        return end
    }
}
