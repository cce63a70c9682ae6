import HangarCore
import HangarTransport
#if canImport(Glibc)
import Glibc
#endif

/// An MCP server at the other end of a child's stdin and stdout — the upstream itself, or
/// `hangar stdio` in front of it — driven with one JSON line per request by blocking reads and
/// writes on one thread, so that the client costs next to nothing.
final class StdioPeer: @unchecked Sendable {
    // @unchecked: `reader` and `nextID` are used by one thread at a time; the benchmark runs
    // its phases one after another and never shares a peer between them.
    let child: ChildProcess
    private let reader: ByteReader
    private let stderr: OutputDrain
    private var nextID: Int64 = 1

    private init(child: ChildProcess) {
        self.child = child
        reader = ByteReader(fd: child.stdoutFD, timeoutMilliseconds: 60_000)
        stderr = OutputDrain(fd: child.stderrFD)
    }

    static func start(_ spec: ProcessSpec) async throws -> StdioPeer {
        StdioPeer(child: try await ChildProcess.spawn(spec))
    }

    private func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Sends one request and parses its answer whole; throws on a JSON-RPC or tool error.
    func call(_ request: MCPRequest) throws -> JSONValue {
        let id = takeID()
        do {
            try writeAll(child.stdinFD, request.line(id: id))
            while true {
                let answer = try reader.withLine { try JSONParser.parse($0, limits: .upstream) }
                guard answer["id"]?.intValue == id else { continue }  // a notification
                if let error = answer["error"] { throw BenchmarkError("\(request.method) failed: \(error)") }
                guard let result = answer["result"] else { throw BenchmarkError("\(request.method): no result") }
                if result["isError"] == .bool(true) { throw BenchmarkError("\(request.method) failed: \(result)") }
                return result
            }
        } catch let error as BenchmarkError {
            let tail = stderr.tail
            throw tail.isEmpty ? error : BenchmarkError("\(error.description); stderr: \(tail)")
        }
    }

    /// `server/discover`, then the first call checked whole. The first answer may wait for
    /// the peer (and Hangar's upstreams) to start.
    func prepare(_ request: MCPRequest) throws {
        _ = try call(MCPRequest(method: "server/discover"))
        _ = try call(request)
    }

    /// `calls` sequential calls after `warmup` untimed ones.
    func sequential(_ request: MCPRequest, calls: Int, warmup: Int) throws -> SequentialResult {
        let clock = ContinuousClock()
        var errors = 0
        for _ in 0..<warmup { errors += try roundTrip(request) ? 1 : 0 }
        errors = 0
        var samples = LatencySamples(capacity: calls)
        let cpu = threadCPUTime()
        let began = clock.now
        for _ in 0..<calls {
            let t0 = clock.now
            errors += try roundTrip(request) ? 1 : 0
            samples.record(t0.duration(to: clock.now))
        }
        return SequentialResult(samples: samples, elapsed: began.duration(to: clock.now), errors: errors, clientCPU: threadCPUTime() - cpu)
    }

    /// Writes one request and reads its answer; true when the answer is an error.
    private func roundTrip(_ request: MCPRequest) throws -> Bool {
        let id = takeID()
        try writeAll(child.stdinFD, request.line(id: id))
        while true {
            let (answerID, failed) = try reader.withLine { (ResponseScan.id(in: $0), ResponseScan.isError($0)) }
            if answerID == id { return failed }
            if answerID != nil { throw BenchmarkError("answer to an unknown id \(answerID!)") }
        }
    }

    /// Keeps `depth` requests outstanding on the one pipe, matching answers to requests by id;
    /// `calls` timed calls after `warmup` untimed ones.
    func pipelined(_ request: MCPRequest, depth: Int, calls: Int, warmup: Int) throws -> ConcurrentResult {
        _ = try pipelinedRun(request, depth: depth, calls: warmup)
        let clock = ContinuousClock()
        let began = clock.now
        let errors = try pipelinedRun(request, depth: depth, calls: calls)
        return ConcurrentResult(calls: calls, callsPerSecond: Double(calls) / began.duration(to: clock.now).seconds, errors: errors)
    }

    private func pipelinedRun(_ request: MCPRequest, depth: Int, calls: Int) throws -> Int {
        var outstanding = Set<Int64>(minimumCapacity: depth * 2)
        var sent = 0, answered = 0, errors = 0
        func sendOne() throws {
            let id = takeID()
            outstanding.insert(id)
            try writeAll(child.stdinFD, request.line(id: id))
            sent += 1
        }
        while sent < min(depth, calls) { try sendOne() }
        while answered < calls {
            let (answerID, failed) = try reader.withLine { (ResponseScan.id(in: $0), ResponseScan.isError($0)) }
            guard let answerID else { continue }  // a notification
            guard outstanding.remove(answerID) != nil else { throw BenchmarkError("answer to an unknown id \(answerID)") }
            answered += 1
            if failed { errors += 1 }
            if sent < calls { try sendOne() }
        }
        return errors
    }

    /// Closes stdin (a clean end for a stdio server), then SIGTERM, then SIGKILL to the group.
    func stop() async {
        close(child.stdinFD)
        await child.terminate(grace: .seconds(3))
        close(child.stdoutFD)
    }
}
