import HangarCore
#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to 127.0.0.1 over a blocking socket: one write and
/// usually one read per exchange, so that the server's cost shows and not the client's.
/// Used by one thread at a time.
final class RawHTTPConnection {
    private let fd: Int32
    private let reader: ByteReader

    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw BenchmarkError("socket failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw BenchmarkError("connect to port \(port) failed: errno \(code)")
        }
        reader = ByteReader(fd: fd, timeoutMilliseconds: 30_000)
    }

    deinit {
        close(fd)
    }

    /// Sends a whole request and hands `body` the status and the response body (valid only
    /// during `body`).
    func exchange<R>(_ request: [UInt8], _ body: (Int, UnsafeRawBufferPointer) throws -> R) throws -> R {
        try writeAll(fd, request)
        var status = 0
        var contentLength: Int?
        var chunked = false
        var first = true
        while true {
            let done = try reader.withLine { line -> Bool in
                if line.isEmpty { return true }
                if first {
                    first = false
                    status = Self.statusCode(line)
                } else if Self.isHeader(Self.contentLengthName, line) {
                    contentLength = Self.decimal(after: Self.contentLengthName.count + 1, in: line)
                } else if Self.isHeader(Self.transferEncodingName, line) {
                    chunked = String(decoding: line, as: UTF8.self).lowercased().contains("chunked")
                }
                return false
            }
            if done { break }
        }
        if chunked {
            var assembled: [UInt8] = []
            while true {
                let size = try reader.withLine { Int(String(decoding: $0, as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0 }
                if size == 0 {
                    while try reader.withLine({ !$0.isEmpty }) {}  // trailers
                    break
                }
                try reader.withBytes(count: size) { assembled += $0 }
                _ = try reader.withLine { _ in () }
            }
            return try assembled.withUnsafeBytes { try body(status, $0) }
        }
        return try reader.withBytes(count: contentLength ?? 0) { try body(status, $0) }
    }

    private static func statusCode(_ line: UnsafeRawBufferPointer) -> Int {
        // "HTTP/1.1 200 OK"
        guard line.count >= 12 else { return 0 }
        return (9..<12).reduce(0) { $0 * 10 + Int(line[$1]) - 48 }
    }

    private static let contentLengthName = Array("content-length".utf8)
    private static let transferEncodingName = Array("transfer-encoding".utf8)

    /// Whether a header line's name is `lowercaseName` (in any case). Compared in place: the
    /// client reads every header line of every answer, and its cost is not the server's.
    private static func isHeader(_ lowercaseName: [UInt8], _ line: UnsafeRawBufferPointer) -> Bool {
        guard line.count > lowercaseName.count, line[lowercaseName.count] == UInt8(ascii: ":") else { return false }
        for i in 0..<lowercaseName.count where (line[i] | 0x20) != lowercaseName[i] { return false }
        return true
    }

    /// The decimal number that starts at `offset` of `line` after any spaces; nil if none.
    private static func decimal(after offset: Int, in line: UnsafeRawBufferPointer) -> Int? {
        var i = offset
        while i < line.count, line[i] == UInt8(ascii: " ") { i += 1 }
        var value = 0
        let first = i
        while i < line.count, line[i] >= UInt8(ascii: "0"), line[i] <= UInt8(ascii: "9") {
            value = value * 10 + Int(line[i] - UInt8(ascii: "0"))
            i += 1
        }
        return i > first ? value : nil
    }
}

/// The MCP endpoint of a running `hangar serve`, loaded through raw connections.
struct HTTPEndpoint: Sendable {
    let port: Int

    /// One exchange parsed whole; throws on an HTTP, JSON-RPC or tool error.
    func call(_ request: MCPRequest, id: Int64 = 1) throws -> (result: JSONValue, bytes: Int) {
        let connection = try RawHTTPConnection(port: port)
        return try connection.exchange(request.httpRequest(id: id, port: port)) { status, body in
            let answer = try JSONParser.parse(body, limits: .upstream)
            guard status == 200 else { throw BenchmarkError("HTTP \(status): \(answer)") }
            if let error = answer["error"] { throw BenchmarkError("\(request.method) failed: \(error)") }
            guard let result = answer["result"], result["isError"] != .bool(true) else {
                throw BenchmarkError("\(request.method) failed: \(answer)")
            }
            return (result, body.count)
        }
    }

    /// `calls` sequential exchanges on one connection after `warmup` untimed ones.
    func sequential(_ request: MCPRequest, calls: Int, warmup: Int) async throws -> SequentialResult {
        try await onThread("bench-http") {
            let connection = try RawHTTPConnection(port: port)
            let head = request.httpHead(port: port)
            for id in 0..<warmup { _ = try exchange(connection, request, id: Int64(id), head: head) }
            let clock = ContinuousClock()
            var samples = LatencySamples(capacity: calls)
            var errors = 0
            let cpu = threadCPUTime()
            let began = clock.now
            for id in 0..<calls {
                let t0 = clock.now
                errors += try exchange(connection, request, id: Int64(id), head: head) ? 1 : 0
                samples.record(t0.duration(to: clock.now))
            }
            return SequentialResult(samples: samples, elapsed: began.duration(to: clock.now), errors: errors, clientCPU: threadCPUTime() - cpu)
        }
    }

    /// `clients` connections, each on its own thread making `callsPerClient` sequential calls
    /// after `warmup` untimed ones; the timed part starts together.
    func concurrent(_ request: MCPRequest, clients: Int, callsPerClient: Int, warmup: Int) async throws -> ConcurrentResult {
        let startLine = StartLine(parties: clients)
        let head = request.httpHead(port: port)
        typealias Span = (began: ContinuousClock.Instant, ended: ContinuousClock.Instant, errors: Int)
        let spans = try await withThrowingTaskGroup(of: Span.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    try await onThread("bench-http") {
                        let connection: RawHTTPConnection
                        do {
                            connection = try RawHTTPConnection(port: port)
                            for id in 0..<warmup { _ = try exchange(connection, request, id: Int64(id), head: head) }
                        } catch {
                            startLine.abandon()
                            throw error
                        }
                        guard startLine.arriveAndWait() else { throw BenchmarkError("another client failed to start") }
                        let clock = ContinuousClock()
                        var errors = 0
                        let began = clock.now
                        for id in 0..<callsPerClient { errors += try exchange(connection, request, id: Int64(id), head: head) ? 1 : 0 }
                        return (began, clock.now, errors)
                    }
                }
            }
            return try await group.reduce(into: [Span]()) { $0.append($1) }
        }
        let began = spans.map(\.began).min()!, ended = spans.map(\.ended).max()!
        let calls = clients * callsPerClient
        return ConcurrentResult(calls: calls, callsPerSecond: Double(calls) / began.duration(to: ended).seconds,
                                errors: spans.reduce(0) { $0 + $1.errors })
    }

    /// One exchange; true when it failed (not HTTP 200, or an error answer). Large bodies
    /// (lists) are not scanned, so that the scan does not weigh on their latency.
    private func exchange(_ connection: RawHTTPConnection, _ request: MCPRequest, id: Int64, head: [UInt8]) throws -> Bool {
        try connection.exchange(request.httpRequest(id: id, head: head)) { status, body in
            status != 200 || (body.count < 64 << 10 && ResponseScan.isError(body))
        }
    }
}
