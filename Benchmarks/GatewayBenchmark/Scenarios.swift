import Foundation
import HangarCore
import HangarSupervisor
import HangarTransport

/// The path a tools/call takes from the benchmark to the upstream.
enum CallPath: String, Sendable {
    case direct = "direct stdio"
    /// The upstream started directly, its threads on one CPU, as `hangar` places a Python server
    /// it starts by default (`CPUPlacement.auto`): Hangar's own cost, placement held equal.
    case directOneCPU = "direct stdio, one CPU"
    case hangarStdio = "hangar stdio"
    case hangarHTTP = "hangar serve HTTP"
    case hangarHTTPAsyncClient = "hangar serve HTTP, AHC client"
    /// `mcp-minimal-relay`: an HTTP front that only relays (one C thread), as a yardstick.
    case minimalRelayHTTP = "minimal C relay HTTP"
    /// A diagnostic pair: the upstream alone on CPUs 1…, and `hangar stdio` (or `serve`) on CPU 0
    /// with its upstream on CPUs 1…
    case directOtherCPUs = "direct stdio, cpus 1-"
    case hangarStdioSeparateCPUs = "hangar stdio cpu 0, upstream 1-"
    case hangarHTTPSeparateCPUs = "hangar serve HTTP cpu 0, upstream 1-"

    /// Whether this path is Hangar placed apart from its upstream, compared with the upstream alone on its CPUs.
    var isPlacedApart: Bool { self == .hangarStdioSeparateCPUs || self == .hangarHTTPSeparateCPUs }
}

/// One row of the tools/call table.
struct CallRow: Sendable {
    let upstream: String
    let path: CallPath
    var sequential: SequentialResult?
    var concurrent: ConcurrentResult?
    /// Hangar's CPU over the sequential and the concurrent calls (warm-ups included).
    var sequentialCPU = CPUShare()
    var concurrentCPU = CPUShare()
    /// The upstream's own CPU over the same calls (mcp-server-time's rounds only).
    var upstreamSequentialCPU = CPUShare()
    var upstreamConcurrentCPU = CPUShare()
    var failure: String?
}

/// One round's throughput through Hangar as a share of a direct path's in that round.
struct PathRatios: Sendable {
    let path: CallPath
    /// The direct path it is a share of.
    let base: CallPath
    let sequential: Double
    let concurrent: Double
}

/// tools/list over many tools through `hangar serve`.
struct ListResult: Sendable {
    var tools = 0
    var responseBytes = 0
    var sequential: SequentialResult?
    var idleResidentBytes: Int?
    var failure: String?
}

/// The scenarios, each starting its own processes and stopping them before the next.
struct Scenarios: Sendable {
    let plan: BenchmarkPlan
    let workspace: Workspace

    private func counts(_ upstream: UpstreamUnderTest) -> (calls: Int, warmup: Int, perClient: Int) {
        upstream.serverName == "fast" ? (plan.fastCalls, plan.fastWarmup, plan.fastCallsPerClient)
            : (plan.timeCalls, plan.timeWarmup, plan.timeCallsPerClient)
    }

    /// The upstream alone, or `hangar stdio` in front of it; concurrency is `clients`
    /// requests pipelined on the one pipe.
    func stdio(_ upstream: UpstreamUnderTest, through path: CallPath) async -> CallRow {
        var row = CallRow(upstream: upstream.label, path: path)
        let n = counts(upstream)
        let spec: ProcessSpec, request: MCPRequest
        do {
            if path == .direct {
                (spec, request) = (workspace.spec(upstream.command, upstream.arguments), upstream.directCall)
            } else {
                let config = try workspace.writeConfig("stdio-\(upstream.serverName)",
                                                       servers: [(upstream.serverName, upstream.command, upstream.arguments)])
                (spec, request) = (workspace.spec(workspace.hangar, ["stdio", "--config", config]), upstream.gatewayCall)
            }
        } catch {
            row.failure = "\(error)"
            return row
        }
        let peer: StdioPeer
        do {
            peer = try await StdioPeer.start(spec)
        } catch {
            row.failure = "\(error)"
            return row
        }
        let (plan, depth) = (self.plan, self.plan.clients)
        let pid = path == .direct ? nil : peer.child.pid
        do {
            try await onThread("bench-stdio") { try peer.prepare(request) }
            row.sequential = try await row.sequentialCPU.measure(pid, calls: n.calls + n.warmup) {
                try await onThread("bench-stdio") { try peer.sequential(request, calls: n.calls, warmup: n.warmup) }
            }
            row.concurrent = try await row.concurrentCPU.measure(pid, calls: depth * (n.perClient + plan.concurrentWarmup)) {
                try await onThread("bench-stdio") {
                    try peer.pipelined(request, depth: depth, calls: depth * n.perClient, warmup: depth * plan.concurrentWarmup)
                }
            }
        } catch {
            row.failure = "\(error)"
        }
        await peer.stop()
        return row
    }

    /// `hangar serve` in front of the upstream: one connection for the sequential calls,
    /// `clients` connections for the concurrent ones. For the fast upstream, also the same
    /// load through AsyncHTTPClient.
    func http(_ upstream: UpstreamUnderTest) async -> [CallRow] {
        var row = CallRow(upstream: upstream.label, path: .hangarHTTP)
        var clientRow: CallRow?
        let n = counts(upstream)
        let server: HTTPFrontProcess
        do {
            let config = try workspace.writeConfig("serve-\(upstream.serverName)",
                                                   servers: [(upstream.serverName, upstream.command, upstream.arguments)])
            server = try await HTTPFrontProcess.start(hangar: workspace.hangar, config: config, environment: workspace.environment)
        } catch {
            row.failure = "\(error)"
            return [row]
        }
        let endpoint = server.endpoint, request = upstream.gatewayCall
        do {
            _ = try await onThread("bench-http") { try endpoint.call(request) }
            let pid = server.child.pid
            row.sequential = try await row.sequentialCPU.measure(pid, calls: n.calls + n.warmup) {
                try await endpoint.sequential(request, calls: n.calls, warmup: n.warmup)
            }
            row.concurrent = try await row.concurrentCPU.measure(pid, calls: plan.clients * (n.perClient + plan.concurrentWarmup)) {
                try await endpoint.concurrent(request, clients: plan.clients, callsPerClient: n.perClient, warmup: plan.concurrentWarmup)
            }
            if upstream.serverName == "fast" {
                var comparison = CallRow(upstream: upstream.label, path: .hangarHTTPAsyncClient)
                do {
                    (comparison.sequential, comparison.concurrent) = try await AsyncHTTPClientLoad(port: endpoint.port).run(
                        request, sequentialCalls: n.calls, clients: plan.clients, callsPerClient: n.perClient, warmup: n.warmup / 10)
                } catch {
                    comparison.failure = "\(error)"
                }
                clientRow = comparison
            }
        } catch {
            row.failure = "\(error)"
        }
        await server.stop()
        return [row] + (clientRow.map { [$0] } ?? [])
    }

    /// The upstream directly, behind `hangar stdio` and behind `hangar serve`, all three
    /// running at once and measured in `timeRounds` rounds (15) in which the paths take turns (the
    /// first path moves each round). A Python upstream's own speed drifts by ±10% over
    /// seconds, so each round's ratios pair figures taken moments apart: a round's sequential
    /// calls run in `sequentialBlocks` blocks in which the paths take turns, then each path's
    /// concurrent calls. The report takes the median round. The rows combine all rounds.
    ///
    /// `mcp-minimal-relay` takes its turn in the rounds too: what an HTTP front that does
    /// nothing but relay costs on this machine, next to what `hangar serve` costs.
    ///
    /// With two CPUs or more, a diagnostic pair joins the rounds: a second `hangar stdio` on
    /// CPU 0 with its upstream on CPUs 1…, against the upstream alone on CPUs 1…. The same work
    /// without Hangar and the upstream competing for one CPU; its ratio pairs those two.
    static let sequentialBlocks = 3

    func interleaved(_ upstream: UpstreamUnderTest) async -> (rows: [CallRow], rounds: [PathRatios]) {
        let separate = ApartCPUs.cpuCount >= 2
        let paths: [CallPath] = [.direct, .directOneCPU, .hangarStdio, .hangarHTTP, .minimalRelayHTTP]
            + (separate ? [.directOtherCPUs, .hangarStdioSeparateCPUs, .hangarHTTPSeparateCPUs] : [])
        var rows = paths.map { CallRow(upstream: upstream.label, path: $0) }
        let n = counts(upstream), depth = plan.clients
        var direct: StdioPeer?, directOne: StdioPeer?, viaStdio: StdioPeer?, server: HTTPFrontProcess?, relay: HTTPFrontProcess?
        var directApart: StdioPeer?, viaApart: StdioPeer?, serverApart: HTTPFrontProcess?
        func stopAll() async {
            await direct?.stop()
            await directOne?.stop()
            await viaStdio?.stop()
            await directApart?.stop()
            await viaApart?.stop()
            await server?.stop()
            await serverApart?.stop()
            await relay?.stop()
        }
        do {
            direct = try await StdioPeer.start(workspace.spec(upstream.command, upstream.arguments))
            var oneCPU = workspace.spec(upstream.command, upstream.arguments)
            oneCPU.placement = .oneCPU
            directOne = try await StdioPeer.start(oneCPU)
            let config = try workspace.writeConfig("rounds-\(upstream.serverName)",
                                                   servers: [(upstream.serverName, upstream.command, upstream.arguments)])
            viaStdio = try await StdioPeer.start(workspace.spec(workspace.hangar, ["stdio", "--config", config]))
            if separate {
                // Placed before exec, as Hangar places its own children (`ProcessSpec.cpus`).
                var alone = workspace.spec(upstream.command, upstream.arguments)
                alone.cpus = Array(ApartCPUs.otherCPUs)
                directApart = try await StdioPeer.start(alone)
                // Hangar's own placement settings, as a user would set them.
                viaApart = try await StdioPeer.start(workspace.spec(workspace.hangar, ["stdio", "--config", config, "--cpus", "0",
                                                                                       "--upstream-cpus", ApartCPUs.otherCPUList]))
            }
            server = try await HTTPFrontProcess.start(hangar: workspace.hangar, config: config, environment: workspace.environment)
            relay = try await HTTPFrontProcess.startRelay(workspace.relay, upstream: workspace.spec(upstream.command, upstream.arguments))
            if separate {
                serverApart = try await HTTPFrontProcess.start(hangar: workspace.hangar, config: config, environment: workspace.environment,
                                                               extraArguments: ["--cpus", "0", "--upstream-cpus", ApartCPUs.otherCPUList])
            }
        } catch {
            for i in rows.indices { rows[i].failure = "\(error)" }
            await stopAll()
            return (rows, [])
        }
        var peers = [CallPath.direct: (direct!, upstream.directCall), .directOneCPU: (directOne!, upstream.directCall),
                     .hangarStdio: (viaStdio!, upstream.gatewayCall)]
        if let directApart, let viaApart {
            peers[.directOtherCPUs] = (directApart, upstream.directCall)
            peers[.hangarStdioSeparateCPUs] = (viaApart, upstream.gatewayCall)
        }
        var endpoints = [CallPath.hangarHTTP: (server!.endpoint, upstream.gatewayCall), .minimalRelayHTTP: (relay!.endpoint, upstream.directCall)]
        if let serverApart { endpoints[.hangarHTTPSeparateCPUs] = (serverApart.endpoint, upstream.gatewayCall) }
        var sequential: [CallPath: [SequentialResult]] = [:], concurrent: [CallPath: [ConcurrentResult]] = [:]
        var sequentialCPU: [CallPath: PathCPU] = [:], concurrentCPU: [CallPath: PathCPU] = [:]
        var pids: [CallPath: pid_t] = [.hangarStdio: viaStdio!.child.pid, .hangarHTTP: server!.child.pid, .minimalRelayHTTP: relay!.child.pid]
        if let viaApart { pids[.hangarStdioSeparateCPUs] = viaApart.child.pid }
        if let serverApart { pids[.hangarHTTPSeparateCPUs] = serverApart.child.pid }
        var rounds: [PathRatios] = []
        do {
            for (peer, request) in peers.values {
                try await onThread("bench-stdio") { try peer.prepare(request) }
                _ = try await onThread("bench-stdio") { try peer.sequential(request, calls: 0, warmup: n.warmup) }
            }
            for (endpoint, request) in endpoints.values {
                _ = try await onThread("bench-http") { try endpoint.call(request) }
                _ = try await endpoint.sequential(request, calls: 0, warmup: n.warmup)
            }
            // The upstream itself: the peer a direct path started, or the one child of a front.
            var upstreamPIDs: [CallPath: pid_t] = [.direct: direct!.child.pid, .directOneCPU: directOne!.child.pid]
            if let directApart { upstreamPIDs[.directOtherCPUs] = directApart.child.pid }
            for (path, pid) in pids { upstreamPIDs[path] = ProcessTable.processes(below: pid).first }
            for round in 0..<plan.timeRounds {
                var seq: [CallPath: Double] = [:], conc: [CallPath: Double] = [:]
                let order = paths.indices.map { paths[(round + $0) % paths.count] }
                // Sequential calls in short blocks, the paths taking turns within each, so that
                // every path's figure for the round spans the same stretch of the host's time.
                let blockCalls = max(1, n.calls / Self.sequentialBlocks)
                var blocks: [CallPath: [SequentialResult]] = [:]
                for _ in 0..<Self.sequentialBlocks {
                    for path in order {
                        let block = try await sequentialCPU[path, default: PathCPU()].measure(
                            front: pids[path], upstream: upstreamPIDs[path], calls: blockCalls + 10) {
                            if let (peer, request) = peers[path] {
                                try await onThread("bench-stdio") { try peer.sequential(request, calls: blockCalls, warmup: 10) }
                            } else if let (endpoint, request) = endpoints[path] {
                                try await endpoint.sequential(request, calls: blockCalls, warmup: 10)
                            } else {
                                throw BenchmarkError("no peer for \(path.rawValue)")
                            }
                        }
                        blocks[path, default: []].append(block)
                    }
                }
                for path in order {
                    let s = SequentialResult(combining: blocks[path] ?? [])!
                    let c: ConcurrentResult
                    let pid = pids[path]
                    if let (peer, request) = peers[path] {
                        c = try await concurrentCPU[path, default: PathCPU()].measure(
                            front: pid, upstream: upstreamPIDs[path], calls: depth * (n.perClient + 1)) {
                            try await onThread("bench-stdio") {
                                try peer.pipelined(request, depth: depth, calls: depth * n.perClient, warmup: depth)
                            }
                        }
                    } else {
                        let (endpoint, request) = endpoints[path]!
                        c = try await concurrentCPU[path, default: PathCPU()].measure(
                            front: pid, upstream: upstreamPIDs[path], calls: depth * (n.perClient + 1)) {
                            try await endpoint.concurrent(request, clients: depth, callsPerClient: n.perClient, warmup: 1)
                        }
                    }
                    sequential[path, default: []].append(s)
                    concurrent[path, default: []].append(c)
                    (seq[path], conc[path]) = (s.callsPerSecond, c.callsPerSecond)
                }
                for path in paths where ![.direct, .directOneCPU, .directOtherCPUs].contains(path) {
                    // Hangar's paths against the server started directly both ways: as a user
                    // would (anywhere), and placed as Hangar places it (one CPU).
                    let bases: [CallPath] = path.isPlacedApart ? [.directOtherCPUs]
                        : path == .minimalRelayHTTP ? [.direct] : [.direct, .directOneCPU]
                    for base in bases {
                        rounds.append(PathRatios(path: path, base: base, sequential: seq[path]! / seq[base]!,
                                                 concurrent: conc[path]! / conc[base]!))
                    }
                }
            }
            for i in rows.indices {
                rows[i].sequential = SequentialResult(combining: sequential[rows[i].path] ?? [])
                rows[i].concurrent = ConcurrentResult(combining: concurrent[rows[i].path] ?? [])
                let (s, c) = (sequentialCPU[rows[i].path] ?? PathCPU(), concurrentCPU[rows[i].path] ?? PathCPU())
                (rows[i].sequentialCPU, rows[i].concurrentCPU) = (s.front, c.front)
                (rows[i].upstreamSequentialCPU, rows[i].upstreamConcurrentCPU) = (s.upstream, c.upstream)
            }
        } catch {
            for i in rows.indices { rows[i].failure = "\(error)" }
            rounds = []
        }
        await stopAll()
        return (rows, rounds)
    }

    private var manyFastUpstreams: [(name: String, command: String, arguments: [String])] {
        (0..<plan.listUpstreams).map { ("f\($0)", workspace.fastUpstream, ["--tools", String(plan.toolsPerUpstream)]) }
    }

    /// tools/list through `hangar serve` over `listUpstreams` × `toolsPerUpstream` tools.
    func toolsList() async -> ListResult {
        var result = ListResult()
        let server: HTTPFrontProcess
        do {
            let config = try workspace.writeConfig("serve-list", servers: manyFastUpstreams)
            server = try await HTTPFrontProcess.start(hangar: workspace.hangar, config: config, environment: workspace.environment)
        } catch {
            result.failure = "\(error)"
            return result
        }
        let endpoint = server.endpoint, request = MCPRequest(method: "tools/list")
        let expected = plan.listUpstreams * plan.toolsPerUpstream
        do {
            try await Task.sleep(for: .seconds(1))
            result.idleResidentBytes = server.residentBytes()
            // Ready means started; give the catalog a few seconds to hold every upstream's tools.
            let deadline = ContinuousClock.now + .seconds(15)
            repeat {
                let (list, bytes) = try await onThread("bench-http") { try endpoint.call(request) }
                (result.tools, result.responseBytes) = (list["tools"]?.arrayValue?.count ?? 0, bytes)
                if result.tools >= expected { break }
                try await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < deadline
            result.sequential = try await endpoint.sequential(request, calls: plan.listCalls, warmup: plan.listWarmup)
        } catch {
            result.failure = "\(error)"
        }
        await server.stop()
        return result
    }

    /// VmRSS of `hangar serve` with `listUpstreams` fast upstreams (their own tools only) and
    /// a data directory of its own: idle a second after it is ready; right after it served
    /// tools/list and `servedCalls` tools/call spread over every upstream (the serving
    /// working set); idle again after that traffic (the daemon gives pages back after 10 s
    /// idle: waited for at most 40 s); and idle with every page kept
    /// (`HANGAR_RELEASE_PAGES=0`), for comparison.
    func idleResidentBytes(servedCalls: Int = 2_000) async -> Result<IdleMemory, BenchmarkError> {
        let servers = (0..<plan.listUpstreams).map { (name: "f\($0)", command: workspace.fastUpstream, arguments: [String]()) }
        do {
            let config = try workspace.writeConfig("serve-idle", servers: servers)
            var memory = IdleMemory()
            for keep in [false, true] {
                let data = workspace.directory + "/idle-data-\(keep)"
                try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
                var environment = workspace.environment
                environment["HANGAR_DATA_DIR"] = data
                if keep { environment["HANGAR_RELEASE_PAGES"] = "0" }
                let server = try await HTTPFrontProcess.start(hangar: workspace.hangar, config: config, environment: environment)
                try? await Task.sleep(for: .seconds(1))
                guard let idle = server.residentBytes() else {
                    await server.stop()
                    return .failure(BenchmarkError("cannot read /proc/PID/status"))
                }
                if keep {
                    memory.idleKeepingPages = idle
                } else {
                    memory.idle = idle
                    let endpoint = server.endpoint, upstreams = plan.listUpstreams
                    do {
                        try await onThread("bench-http") {
                            _ = try endpoint.call(MCPRequest(method: "tools/list"))
                            for call in 0..<servedCalls {
                                _ = try endpoint.call(.toolsCall("f\(call % upstreams)__echo", ["text": "hello"]), id: Int64(call + 2))
                            }
                        }
                    } catch {
                        await server.stop()
                        return .failure(BenchmarkError("serving calls: \(error)"))
                    }
                    let serving = server.residentBytes() ?? 0
                    (memory.serving, memory.servedCalls) = (serving, servedCalls)
                    let start = ContinuousClock.now
                    repeat {
                        try? await Task.sleep(for: .milliseconds(500))
                        memory.idleAfterTraffic = server.residentBytes() ?? 0
                    } while memory.idleAfterTraffic > serving - (2 << 20) && ContinuousClock.now - start < .seconds(40)
                    memory.secondsToRelease = (ContinuousClock.now - start) / .seconds(1)
                }
                await server.stop()
            }
            return .success(memory)
        } catch {
            return .failure(BenchmarkError("\(error)"))
        }
    }
}

/// The memory of `hangar serve` with fast upstreams, in bytes (VmRSS, children excluded).
struct IdleMemory: Sendable {
    var idle = 0
    var serving = 0
    var servedCalls = 0
    var idleAfterTraffic = 0
    var secondsToRelease = 0.0
    var idleKeepingPages = 0
}
