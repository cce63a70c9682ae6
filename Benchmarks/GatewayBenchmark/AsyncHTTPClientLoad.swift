import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The same HTTP load through AsyncHTTPClient, to show how much a full-featured client adds
/// on this machine (the raw connections are the benchmark's figures).
struct AsyncHTTPClientLoad {
    let port: Int

    func run(_ request: MCPRequest, sequentialCalls: Int, clients: Int, callsPerClient: Int, warmup: Int) async throws
        -> (SequentialResult, ConcurrentResult)
    {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            let result = try await measure(client, request, sequentialCalls: sequentialCalls, clients: clients,
                                           callsPerClient: callsPerClient, warmup: warmup)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func measure(_ client: HTTPClient, _ request: MCPRequest, sequentialCalls: Int, clients: Int,
                         callsPerClient: Int, warmup: Int) async throws -> (SequentialResult, ConcurrentResult) {
        let url = "http://127.0.0.1:\(port)/mcp"
        let headers = request.httpHeaders
        @Sendable func once(_ id: Int64) async throws -> Bool {
            var http = HTTPClientRequest(url: url)
            http.method = .POST
            for (name, value) in headers { http.headers.add(name: name, value: value) }
            http.body = .bytes(ByteBuffer(bytes: request.body(id: id)))
            let response = try await client.execute(http, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 24)
            return response.status.code != 200 || body.withUnsafeReadableBytes { ResponseScan.isError($0) }
        }
        let clock = ContinuousClock()
        for id in 0..<warmup { _ = try await once(Int64(id)) }
        var samples = LatencySamples(capacity: sequentialCalls)
        var errors = 0
        var began = clock.now
        for id in 0..<sequentialCalls {
            let t0 = clock.now
            errors += try await once(Int64(id)) ? 1 : 0
            samples.record(t0.duration(to: clock.now))
        }
        let sequential = SequentialResult(samples: samples, elapsed: began.duration(to: clock.now), errors: errors)

        // Warm up all the connections, then time the concurrent calls.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients { group.addTask { for id in 0..<warmup { _ = try await once(Int64(id)) } } }
            try await group.waitForAll()
        }
        began = clock.now
        let concurrentErrors = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var errors = 0
                    for id in 0..<callsPerClient { errors += try await once(Int64(id)) ? 1 : 0 }
                    return errors
                }
            }
            return try await group.reduce(0, +)
        }
        let calls = clients * callsPerClient
        let concurrent = ConcurrentResult(calls: calls, callsPerSecond: Double(calls) / began.duration(to: clock.now).seconds,
                                          errors: concurrentErrors)
        return (sequential, concurrent)
    }
}
