import Foundation
import HangarCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Interop {
    /// What one HTTP/1.1 connection to `serve` does with pipelined requests, bodies of every
    /// framing, a half-close and a client that goes away: the answers keep their order and
    /// nothing is lost or left running.
    @Suite(.serialized)
    struct HTTPConnectionTests {
        /// The daemon with the fast upstream, and one connection to it.
        static func connected(policy: JSONValue? = nil, extraArguments: [String] = []) async throws -> (Daemon, RawConnection) {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()], policy: policy, extraArguments: extraArguments)
            do {
                return (daemon, try RawConnection(url: daemon.url))
            } catch {
                await daemon.stop()
                throw error
            }
        }

        /// A POST of a modern request's head, its headers and `extraHeaders` ending in CRLF;
        /// the caller adds the framing and the body.
        static func head(_ headers: [(String, String)], extraHeaders: String) -> String {
            var head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            return head + extraHeaders
        }

        static func post(_ method: String, _ params: JSONObject, id: Int64, extraHeaders: String = "") -> [UInt8] {
            let (body, headers) = Daemon.modernRequest(id: id, method, params)
            return Array((head(headers, extraHeaders: extraHeaders) + "Content-Length: \(body.count)\r\n\r\n").utf8) + body
        }

        static func echo(_ text: String, id: Int64) -> [UInt8] {
            post(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": .string(text)]], id: id)
        }

        static func text(of answer: JSONValue) -> String? {
            answer["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
        }

        @Test("pipelined requests on one connection are answered in the order they were sent")
        func pipelinedInOrder() async throws {
            let (daemon, connection) = try await Self.connected()
            defer { Task { await daemon.stop() } }
            // The first is slow: an answer out of order would put the echoes first.
            let sleep = Self.post(MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 300]], id: 1)
            try connection.send(sleep + Self.echo("two", id: 2) + Self.echo("three", id: 3))
            var ids: [Int64] = []
            for _ in 0..<3 {
                let answer = try connection.readResponse()
                #expect(answer.status == 200)
                ids.append(answer.json["id"]?.intValue ?? -1)
            }
            #expect(ids == [1, 2, 3])

            // Requests that arrive while the one before them is answered: half of the next with
            // the slow one, then its other half, then another in a write of its own.
            let next = Self.echo("five", id: 5)
            try connection.send(Self.post(MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 200]], id: 4) + next[..<(next.count / 2)])
            try connection.send(Array(next[(next.count / 2)...]))
            try connection.send(Self.echo("six", id: 6))
            var texts: [String?] = []
            for _ in 0..<3 { texts.append(Self.text(of: try connection.readResponse().json)) }
            #expect(texts.dropFirst() == ["five", "six"], "\(texts)")
        }

        @Test("a repeated MCP header reads as its values joined: a second Mcp-Method is a header mismatch")
        func repeatedHeader() async throws {
            let (daemon, connection) = try await Self.connected()
            defer { Task { await daemon.stop() } }
            try connection.send(Self.post(MCPMethod.toolsList, [:], id: 1, extraHeaders: "Mcp-Method: tools/list\r\n"))
            let refused = try connection.readResponse()
            #expect(refused.status == 400)
            #expect(refused.json["error"]?["code"]?.intValue == Int64(JSONRPCError.Code.headerMismatch.rawValue), "\(refused.json)")
            #expect(refused.json["error"]?["message"]?.stringValue?.contains("'tools/list, tools/list'") == true, "\(refused.json)")
            try connection.send(Self.echo("after", id: 2))
            #expect(Self.text(of: try connection.readResponse().json) == "after")
        }

        @Test("chunked and large bodies are answered, and the connection keeps serving after them")
        func chunkedAndLargeBodies() async throws {
            let (daemon, connection) = try await Self.connected(policy: ["maxArgumentBytes": .int(4 << 20), "maxResultBytes": .int(4 << 20)])
            defer { Task { await daemon.stop() } }

            // A chunked body, in two chunks.
            let (body, headers) = Daemon.modernRequest(id: 1, MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "chunked"]])
            let head = Self.head(headers, extraHeaders: "Transfer-Encoding: chunked\r\n")
            let half = body.count / 2
            let chunked = Array((head + "\r\n" + String(half, radix: 16) + "\r\n").utf8) + body[..<half]
                + Array(("\r\n" + String(body.count - half, radix: 16) + "\r\n").utf8) + body[half...] + Array("\r\n0\r\n\r\n".utf8)
            // A body of 1.5 MB (over what is collected before routing), then a small one, in one write.
            let large = String(repeating: "x", count: 1_500_000)
            try connection.send(chunked + Self.echo(large, id: 2) + Self.echo("small", id: 3))

            let first = try connection.readResponse()
            #expect(first.status == 200)
            #expect(Self.text(of: first.json) == "chunked", "\(first.json)")
            let second = try connection.readResponse()
            #expect(second.status == 200)
            #expect(Self.text(of: second.json)?.count == large.count)
            let third = try connection.readResponse()
            #expect(Self.text(of: third.json) == "small", "\(third.json)")
        }

        @Test("answers of every size keep their framing: a large and a small JSON answer, and an empty 202 between them")
        func answerSizes() async throws {
            let (daemon, connection) = try await Self.connected()
            defer { Task { await daemon.stop() } }
            // A JSON answer goes out with its head in one buffer, whatever its size; a
            // notification's 202 has no body and goes through the response writer.
            let large = String(repeating: "y", count: 40_000)
            let note = Array(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}"#.utf8)
            let notification = Array((Self.head([("MCP-Protocol-Version", ProtocolVersion.modern)], extraHeaders: "")
                + "Content-Length: \(note.count)\r\n\r\n").utf8) + note
            try connection.send(Self.echo(large, id: 1) + notification + Self.echo("small", id: 2))
            let first = try connection.readResponse()
            #expect(first.status == 200 && first.json["id"]?.intValue == 1)
            #expect(Self.text(of: first.json) == large)
            let accepted = try connection.readHead()
            #expect(accepted.status == 202)
            #expect(accepted.headers["content-length"] == "0", "\(accepted.headers)")
            let last = try connection.readResponse()
            #expect(last.json["id"]?.intValue == 2 && Self.text(of: last.json) == "small", "\(last.json)")
        }

        @Test("a client that half-closes after its request still gets the whole answer")
        func halfClose() async throws {
            let (daemon, connection) = try await Self.connected()
            defer { Task { await daemon.stop() } }
            let sleep = Self.post(MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 200]], id: 7)
            try connection.send(sleep)
            connection.shutdownWrite()
            let answer = try connection.readResponse()
            #expect(answer.status == 200)
            #expect(answer.json["id"]?.intValue == 7)
            #expect(answer.json["result"] != nil, "\(answer.json)")
        }

        @Test("Connection: close is honoured: the answer says so and the connection ends")
        func connectionClose() async throws {
            let (daemon, connection) = try await Self.connected()
            defer { Task { await daemon.stop() } }
            let request = Self.post(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "bye"]], id: 1, extraHeaders: "Connection: close\r\n")
            try connection.send(request + Self.echo("ignored", id: 2))
            let answer = try connection.readResponse()
            #expect(Self.text(of: answer.json) == "bye")
            #expect(answer.headers["connection"]?.lowercased() == "close")
            #expect(try connection.readToEnd().isEmpty, "a request after Connection: close was answered")
        }

        @Test("a client that goes away mid-call has the upstream's work cancelled")
        func disconnectCancels() async throws {
            let (daemon, connection) = try await Self.connected(extraArguments: ["--log-level", "debug"])
            defer { Task { await daemon.stop() } }
            // With a progress token the answer is a stream: its first event shows the upstream is at work.
            let call = Self.post(MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 30000],
                                                       "_meta": ["progressToken": 1, MetaKey.clientCapabilities: [:]]], id: 9)
            try connection.send(call)
            let head = try connection.readHead()
            #expect(head.status == 200)
            #expect(head.headers["content-type"]?.hasPrefix("text/event-stream") == true, "\(head.headers)")
            _ = try connection.readUntil(Array("progress".utf8))
            connection.close()
            let seen = await daemon.process.waitForLine(timeout: .seconds(10)) { $0.contains("stderr: cancelled") }
            #expect(seen != nil, "the upstream never saw the cancellation")
            // And the daemon serves the next client.
            let (status, next) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "next"]])
            #expect(status == 200)
            #expect(Self.text(of: next) == "next")
        }

        /// An echo request: its request line, the header `lines` ("#LEN" stands for the body's
        /// length) and the blank line, then its body.
        static func echo(_ text: String, lines: String, target: String = "/mcp", version: String = "1.1") -> [UInt8] {
            let (body, _) = Daemon.modernRequest(id: 1, MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": .string(text)]])
            let head = "POST \(target) HTTP/\(version)\r\n\(lines.replacingOccurrences(of: "#LEN", with: String(body.count)))\r\n"
            return Array(head.utf8) + body
        }

        static let echoHeaders = "Host: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            + "MCP-Protocol-Version: \(ProtocolVersion.modern)\r\nMcp-Method: tools/call\r\nMcp-Name: fast__echo\r\n"

        /// `echoHeaders` with every name in capitals and spaces around every value.
        static var shoutedHeaders: String {
            echoHeaders.split(separator: "\r\n").map { line in
                let colon = line.firstIndex(of: ":")!
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                return "\(line[..<colon].uppercased()):   \(value) \t"
            }.joined(separator: "\r\n") + "\r\n"
        }

        /// RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, for the current year.
        static func isHTTPDate(_ text: String) -> Bool {
            let parts = text.split(separator: " ")
            let year = Calendar(identifier: .gregorian).component(.year, from: Date())
            return parts.count == 6 && parts[0].hasSuffix(",") && parts[1].count == 2 && parts[2].count == 3
                && abs((Int(parts[3]) ?? 0) - year) <= 1 && parts[4].count == 8 && parts[5] == "GMT"
        }

        @Test("requests in every valid form are answered, whichever parser reads them, and the connection keeps serving")
        func validForms() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let port = URL(string: daemon.url)!.port!
            let forms: [(name: String, target: String, lines: String)] = [
                ("absolute-form target", "http://127.0.0.1:\(port)/mcp", "\(Self.echoHeaders)Content-Length: #LEN\r\n"),
                ("non-ASCII header value", "/mcp", "\(Self.echoHeaders)X-Note: café\r\nContent-Length: #LEN\r\n"),
                ("names in capitals, values padded", "/mcp", "\(Self.shoutedHeaders)CONTENT-LENGTH: \t #LEN  \r\n"),
            ]
            for form in forms {
                // Each between two plain requests, all in one write.
                let connection = try RawConnection(url: daemon.url)
                try connection.send(Self.echo("before", id: 2) + Self.echo(form.name, lines: form.lines, target: form.target) + Self.echo("after", id: 3))
                let answers = try (0..<3).map { _ in try connection.readResponse() }
                let texts = answers.map { $0.status == 200 ? Self.text(of: $0.json) : "\($0.status)" }
                #expect(texts == ["before", form.name, "after"], "\(form.name)")
                // Whichever parser read the request, its answer is stamped alike.
                for answer in answers {
                    #expect(answer.headers["server"] == "hangar", "\(form.name): \(answer.headers)")
                    #expect(answer.headers["date"].map(Self.isHTTPDate) == true, "\(form.name): \(answer.headers)")
                }
            }

            // HTTP/1.0: answered, then closed (no keep-alive asked for).
            let old = try RawConnection(url: daemon.url)
            try old.send(Self.echo("1.0", lines: "\(Self.echoHeaders)Content-Length: #LEN\r\n", version: "1.0"))
            let answer = try old.readResponse()
            #expect(Self.text(of: answer.json) == "1.0", "\(answer.json)")

            // A head and body that arrive a byte at a time.
            let slow = try RawConnection(url: daemon.url)
            slow.noDelay()
            for byte in Self.echo("slowly", id: 3) { try slow.send([byte]) }
            #expect(Self.text(of: try slow.readResponse().json) == "slowly")
        }

        @Test("POST /mcp read straight from the wire is authenticated and checked as through NIO's decoder")
        func postReadAlike() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()], policy: ["auth": "required"])
            defer { Task { await daemon.stop() } }
            let key = try #require(daemon.adminKey, "the daemon prints the first admin key")
            let port = URL(string: daemon.url)!.port!
            let cases: [(name: String, lines: String, status: Int)] = [
                ("no Authorization", "", 401),
                ("Authorization in capitals", "AUTHORIZATION: Bearer \(key)\r\n", 200),
                ("a foreign Origin", "Authorization: Bearer \(key)\r\nOrigin: http://evil.example\r\n", 403),
                ("two Authorization fields, read joined", "Authorization: Bearer \(key)\r\nAuthorization: Bearer \(key)\r\n", 401),
                ("a session that never was", "Authorization: Bearer \(key)\r\nMcp-Session-Id: nope\r\n", 200),
            ]
            // "/mcp" is read by HTTP1Wire; an absolute-form target goes to NIO's decoder and the router.
            for target in ["/mcp", "http://127.0.0.1:\(port)/mcp"] {
                for c in cases {
                    let connection = try RawConnection(url: daemon.url)
                    try connection.send(Self.echo(c.name, lines: "\(Self.echoHeaders)\(c.lines)Content-Length: #LEN\r\n", target: target))
                    let answer = try connection.readResponse()
                    #expect(answer.status == c.status, "\(c.name) via \(target): \(answer.status) \(answer.json)")
                    if c.status == 401 { #expect(answer.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(c.name) via \(target)") }
                    if c.status == 200 { #expect(Self.text(of: answer.json) == c.name, "\(c.name) via \(target)") }
                }
            }
        }

        @Test("a malformed request gets 400 and its connection closes, and the daemon serves the next one")
        func malformedHeads() async throws {
            let daemon = try await Daemon.start(servers: ["fast": Daemon.fastServer()])
            defer { Task { await daemon.stop() } }
            let forms: [(name: String, lines: String)] = [
                ("two lengths", "\(Self.echoHeaders)Content-Length: #LEN\r\nContent-Length: 1#LEN\r\n"),
                ("no colon", "\(Self.echoHeaders)Broken header line\r\nContent-Length: #LEN\r\n"),
                ("a length that is not a number", "\(Self.echoHeaders)Content-Length: 12abc\r\n"),
                ("a folded line (obs-fold, RFC 9112 5.2)", "\(Self.echoHeaders)X-Note: one\r\n two\r\nContent-Length: #LEN\r\n"),
                ("a bare LF in a value", "\(Self.echoHeaders)X-Note: a\nb\r\nContent-Length: #LEN\r\n"),
            ]
            for form in forms {
                let connection = try RawConnection(url: daemon.url)
                try connection.send(Self.echo(form.name, lines: form.lines))
                let answer = try connection.readHead()
                #expect(answer.status == 400, "\(form.name): \(answer.status)")
                _ = try connection.readToEnd()  // and the connection closes
            }
            let (status, next) = try await daemon.modern(MCPMethod.toolsCall, ["name": "fast__echo", "arguments": ["text": "next"]])
            #expect(status == 200 && Self.text(of: next) == "next")
        }

        @Test("on SIGTERM a call in flight is answered before its connection closes, and the daemon exits 0")
        func gracefulShutdown() async throws {
            let (daemon, connection) = try await Self.connected()
            defer { Task { await daemon.stop() } }
            let call = Self.post(MCPMethod.toolsCall, ["name": "fast__sleep", "arguments": ["ms": 1000],
                                                       "_meta": ["progressToken": 1, MetaKey.clientCapabilities: [:]]], id: 11)
            try connection.send(call)
            #expect(try connection.readHead().status == 200)
            _ = try connection.readUntil(Array("progress".utf8))  // the upstream is at work
            kill(daemon.process.child.pid, SIGTERM)
            let rest = String(decoding: try connection.readToEnd(), as: UTF8.self)
            #expect(rest.contains("slept 1000 ms"), "the call in flight was not answered: \(rest.suffix(300))")
            #expect(await daemon.process.waitForExit(timeout: .seconds(20)) == 0)
        }
    }
}

/// One blocking TCP connection to the daemon, for what an HTTP client library hides:
/// pipelining, chunked bodies, half-closes. Reads time out after 30 s.
final class RawConnection {
    struct Head {
        var status: Int
        var headers: [String: String]
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(url: String) throws {
        guard let port = URL(string: url)?.port else { throw DaemonError(message: "no port in \(url)") }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { Glibc.close(fd); throw DaemonError(message: "connect failed: errno \(errno)") }
    }

    deinit { close() }

    func close() {
        if !closed { closed = true; Glibc.close(fd) }
    }

    /// Each write its own segment (no Nagle delay).
    func noDelay() {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw DaemonError(message: "write failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads more bytes; false at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw DaemonError(message: "read failed (errno \(errno)): no answer in time") }
        buffer += chunk[..<n]
        return n > 0
    }

    /// Everything up to and including `marker`.
    func readUntil(_ marker: [UInt8]) throws -> [UInt8] {
        while true {
            if let range = buffer.firstRange(of: marker) {
                let taken = Array(buffer[..<range.upperBound])
                buffer.removeSubrange(..<range.upperBound)
                return taken
            }
            guard try fill() else { throw DaemonError(message: "the connection ended before \(String(decoding: marker, as: UTF8.self))") }
        }
    }

    func readHead() throws -> Head {
        let text = String(decoding: try readUntil(Array("\r\n\r\n".utf8)), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers)
    }

    /// One response with a Content-Length body, parsed as JSON.
    func readResponse() throws -> (status: Int, headers: [String: String], json: JSONValue) {
        let head = try readHead()
        guard let length = head.headers["content-length"].flatMap({ Int($0) }) else {
            throw DaemonError(message: "no Content-Length in \(head.headers)")
        }
        while buffer.count < length {
            guard try fill() else { throw DaemonError(message: "the connection ended inside a body") }
        }
        let body = Array(buffer[..<length])
        buffer.removeSubrange(..<length)
        return (head.status, head.headers, try JSONParser.parse(body, limits: .upstream))
    }

    /// What remains until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }
}
