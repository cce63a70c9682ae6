import Foundation

/// The printed outcome: the tools/call table, the ratios against their targets, the
/// tools/list and memory figures. Targets are reported as met or missed, never enforced.
struct Report: Sendable {
    let plan: BenchmarkPlan
    var rows: [CallRow] = []
    /// mcp-server-time measured in rounds, each path against direct in the same round.
    var timeRounds: [PathRatios] = []
    var timeServerProblem: String?
    var list: ListResult?
    var idleRSS: Result<IdleMemory, BenchmarkError>?

    private func row(_ upstream: String, _ path: CallPath) -> CallRow? {
        rows.first { $0.upstream == upstream && $0.path == path && $0.failure == nil }
    }

    func print() {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        Swift.print("Hangar gateway benchmark (\(plan.quick ? "quick" : "full") run, release, \(cpus) CPUs)")
        Swift.print("Sequential: fast \(plan.fastCalls) calls, mcp-server-time \(plan.timeRounds) rounds × \(plan.timeCalls) (after warm-up). "
            + "\(plan.clients) clients: \(plan.clients) × \(plan.fastCallsPerClient) / \(plan.timeRounds) rounds × \(plan.clients) × \(plan.timeCallsPerClient) calls.")
        Swift.print("mcp-server-time runs direct (started as a user would: anywhere; and on one CPU, as hangar places a Python server it starts),")
        Swift.print("  behind hangar stdio and behind hangar serve at once; the paths take turns in each round")
        Swift.print("  (its sequential calls in \(Scenarios.sequentialBlocks) blocks, the paths taking turns within each, then the 16-client calls),")
        Swift.print("  and its ratios are the median round's (each round pairs figures taken moments apart).")
        Swift.print("  A diagnostic pair takes turns too: the upstream alone pinned to CPUs 1-, and `hangar stdio` and `hangar serve` with `--cpus 0 --upstream-cpus 1-`;")
        Swift.print("  their ratio is Hangar's cost when it does not compete with the upstream for a CPU (opt-in CPU placement).")
        Swift.print("  mcp-minimal-relay (Benchmarks/MinimalRelay: HTTP in, one C thread, the id swapped, nothing else) takes turns too:")
        Swift.print("  what an HTTP front that only relays costs here, against which hangar serve's own work shows.")
        Swift.print("HTTP client: raw blocking HTTP/1.1 keep-alive sockets, one thread per connection; stdio: blocking pipe I/O,")
        Swift.print("  \(plan.clients) requests pipelined on the one pipe. Clock: ContinuousClock; percentiles: nearest rank over all samples.")
        Swift.print("hangar CPU: user + system time of the hangar process (all threads; for the relay, the relay's) over the calls, warm-ups included, per call"
            + " (children it reaps would count too; none end during the calls).")
        Swift.print("client CPU: user + system time of the benchmark's own thread over the timed sequential calls, per call"
            + " (its share of each call's time; with the AsyncHTTPClient client, not measured).")
        Swift.print("server CPU: user + system time of mcp-server-time itself over the same calls as hangar CPU, per call"
            + " (what sharing the CPUs and caches with the front costs the server).")
        Swift.print("")
        printCalls()
        Swift.print("")
        printTargets()
    }

    private func printCalls() {
        Swift.print(pad("tools/call", 54) + lpad("p50 ms", 9) + lpad("p99 ms", 9) + lpad("seq calls/s", 13)
            + lpad("\(plan.clients)-client calls/s", 19) + lpad("errors", 8) + lpad("hangar CPU us/call seq, \(plan.clients)c", 30)
            + lpad("client CPU us/call seq", 24) + lpad("server CPU us/call seq, \(plan.clients)c", 31))
        for row in rows {
            let label = pad("\(row.upstream), \(row.path.rawValue)", 54)
            if let failure = row.failure {
                Swift.print(label + "  failed: " + String(failure.prefix(200)))
                continue
            }
            let s = row.sequential, c = row.concurrent
            let errors = (s?.errors ?? 0) + (c?.errors ?? 0)
            Swift.print(label + lpad(s.map { ms($0.p50Milliseconds) } ?? "-", 9) + lpad(s.map { ms($0.p99Milliseconds) } ?? "-", 9)
                + lpad(s.map { count($0.callsPerSecond) } ?? "-", 13) + lpad(c.map { count($0.callsPerSecond) } ?? "-", 19)
                + lpad(String(errors), 8) + lpad(cpu(row), 30)
                + lpad(s?.clientMicrosPerCall.map { String(format: "%.0f", $0) } ?? "-", 24)
                + lpad(Self.perCall(row.upstreamSequentialCPU, row.upstreamConcurrentCPU), 31))
        }
        if let timeServerProblem { Swift.print(pad("mcp-server-time", 54) + "  skipped: " + timeServerProblem) }
    }

    /// A direct path as the ratio lines name it.
    private static func short(_ base: CallPath) -> String { base == .directOneCPU ? "direct, one CPU" : "direct" }

    private func printTargets() {
        Swift.print(pad("Ratios and targets", 72) + lpad("value", 12) + "   " + pad("target", 14) + "verdict")
        // Against the server started directly as a user would (anywhere), and placed as Hangar
        // places it (one CPU): the first is what a user gains or loses, the second Hangar's own cost.
        for base in [CallPath.direct, .directOneCPU] {
            for path in [CallPath.hangarStdio, .hangarHTTP] {
                let rounds = timeRounds.filter { $0.path == path && $0.base == base }
                guard !rounds.isEmpty else { continue }
                for (what, values) in [("sequential", rounds.map(\.sequential)), ("\(plan.clients)-client", rounds.map(\.concurrent))] {
                    let sorted = values.sorted()
                    ratio("mcp-server-time: \(path.rawValue) / \(Self.short(base)), \(what) calls/s", median(sorted), true)
                    line("  \(sorted.count) rounds, lowest … highest", String(format: "%.1f … %.1f %%", sorted[0] * 100, sorted[sorted.count - 1] * 100), "", nil)
                }
            }
        }
        // An HTTP front that only relays, its server started as the relay's child (anywhere), in
        // the same rounds: what any front costs on this machine (loopback TCP, one more process to wake).
        let relayRounds = timeRounds.filter { $0.path == .minimalRelayHTTP }
        if !relayRounds.isEmpty {
            for (what, values) in [("sequential", relayRounds.map(\.sequential)), ("\(plan.clients)-client", relayRounds.map(\.concurrent))] {
                ratio("  minimal C relay HTTP / direct, \(what)", median(values), false)
            }
        }
        // The server's own CPU per call behind each front, against called directly with the same
        // placement: the front's share of the CPUs and caches shows as the server's work costing more.
        for (path, base) in [(CallPath.hangarStdio, CallPath.directOneCPU), (.hangarHTTP, .directOneCPU), (.minimalRelayHTTP, .direct)] {
            guard let direct = row("mcp-server-time", base), let via = row("mcp-server-time", path) else { continue }
            for (what, a, b) in [("sequential", via.upstreamSequentialCPU, direct.upstreamSequentialCPU),
                                 ("\(plan.clients)-client", via.upstreamConcurrentCPU, direct.upstreamConcurrentCPU)] {
                guard let a = a.perCall, let b = b.perCall, b > 0 else { continue }
                ratio("  server CPU/call behind \(path.rawValue) / \(Self.short(base)), \(what)", a / b, false)
            }
        }
        // Hangar on CPU 0 and the upstream on the others, against the upstream alone on those:
        // no target; it shows how much of the shortfall above is the two competing for one CPU.
        for (path, name) in [(CallPath.hangarStdioSeparateCPUs, "hangar stdio"), (.hangarHTTPSeparateCPUs, "hangar serve HTTP")] {
            let apart = timeRounds.filter { $0.path == path }
            guard !apart.isEmpty else { continue }
            for (what, values) in [("sequential", apart.map(\.sequential)), ("\(plan.clients)-client", apart.map(\.concurrent))] {
                ratio("  upstream on CPUs 1-: \(name) on CPU 0 / direct, \(what)", median(values), false)
            }
        }
        // The fast upstream's shares show Hangar's own cost; they have no target.
        if let direct = row("fast upstream", .direct) {
            for path in [CallPath.hangarStdio, .hangarHTTP] {
                guard let via = row("fast upstream", path) else { continue }
                if let a = via.sequential, let b = direct.sequential {
                    ratio("fast upstream: \(path.rawValue) / direct, sequential calls/s", a.callsPerSecond / b.callsPerSecond, false)
                }
                if let a = via.concurrent, let b = direct.concurrent {
                    ratio("fast upstream: \(path.rawValue) / direct, \(plan.clients)-client calls/s", a.callsPerSecond / b.callsPerSecond, false)
                }
            }
        }
        if let direct = row("fast upstream", .direct)?.sequential {
            for path in [CallPath.hangarStdio, .hangarHTTP] {
                guard let via = row("fast upstream", path)?.sequential else { continue }
                let added = via.p50Milliseconds - direct.p50Milliseconds
                line("fast upstream: added p50 latency, \(path.rawValue) vs direct stdio", ms(added) + " ms", "<= 0.25 ms", added <= 0.25)
            }
        }
        if let http = row("fast upstream", .hangarHTTP)?.concurrent {
            line("hangar serve HTTP, fast upstream, \(plan.clients) clients", count(http.callsPerSecond) + "/s", ">= 10,000/s",
                 http.callsPerSecond >= 10_000)
        }
        if let list {
            let what = "tools/list over \(count(Double(list.tools))) tools (\(plan.listUpstreams) × fast --tools \(plan.toolsPerUpstream)), HTTP"
            if let failure = list.failure {
                Swift.print(pad(what, 72) + "  failed: " + String(failure.prefix(200)))
            } else if let s = list.sequential {
                line(what + ", p50", ms(s.p50Milliseconds) + " ms", "<= 10 ms", s.p50Milliseconds <= 10)
                line("  p99 (\(plan.listCalls) calls, \(String(format: "%.1f", Double(list.responseBytes) / 1e6)) MB per answer)",
                     ms(s.p99Milliseconds) + " ms", "", nil)
            }
            if let idle = list.idleResidentBytes {
                line("  idle RSS of hangar serve holding those tools", megabytes(idle), "", nil)
            }
        }
        switch idleRSS {
        case .success(let memory)?:
            line("idle RSS of hangar serve, \(plan.listUpstreams) fast upstreams (VmRSS, children excluded)", megabytes(memory.idle),
                 "<= 40 MB", memory.idle <= 40_000_000)
            line("  right after serving tools/list and \(memory.servedCalls) tools/call over them", megabytes(memory.serving), "", nil)
            line("  idle again after that traffic (\(String(format: "%.1f", memory.secondsToRelease)) s later)",
                 megabytes(memory.idleAfterTraffic), "<= 40 MB", memory.idleAfterTraffic <= 40_000_000)
            line("  idle, every page kept (HANGAR_RELEASE_PAGES=0)", megabytes(memory.idleKeepingPages), "", nil)
        case .failure(let error)?:
            Swift.print(pad("idle RSS of hangar serve", 72) + "  failed: " + error.description)
        case nil:
            break
        }
        Swift.print("(MB = 10^6 bytes. Targets are reported, never enforced: the benchmark always exits 0.)")
    }

    /// The middle value (the upper one of an even count), as the rounds' ratios are reported.
    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func ratio(_ what: String, _ value: Double, _ hasTarget: Bool) {
        line(what, String(format: "%.1f %%", value * 100), hasTarget ? ">= 90 %" : "", hasTarget ? value >= 0.9 : nil)
    }

    private func line(_ what: String, _ value: String, _ target: String, _ met: Bool?) {
        let verdict = met.map { $0 ? "met" : "MISSED" } ?? "(info)"
        Swift.print(pad(what, 72) + lpad(value, 12) + "   " + pad(target, 14) + verdict)
    }

    private func ms(_ value: Double) -> String { String(format: "%.3f", value) }

    /// Hangar's CPU per call, sequential and concurrent; "-" for a direct path.
    private func cpu(_ row: CallRow) -> String {
        Self.perCall(row.sequentialCPU, row.concurrentCPU)
    }

    /// Microseconds per call, sequential and concurrent; "-" where not measured.
    private static func perCall(_ sequential: CPUShare, _ concurrent: CPUShare) -> String {
        guard let s = sequential.perCall else { return "-" }
        return String(format: "%.0f, ", s) + (concurrent.perCall.map { String(format: "%.0f", $0) } ?? "-")
    }
    private func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    private func count(_ value: Double) -> String {
        let whole = Int(value.rounded())
        var digits = String(whole), grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return digits + grouped
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private func lpad(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }
}
