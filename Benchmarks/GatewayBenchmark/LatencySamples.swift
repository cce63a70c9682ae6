/// Per-call latencies of one run, kept whole and sorted for percentiles (HdrHistogram's
/// nearest-rank definition, without its bucketing).
struct LatencySamples: Sendable {
    private var nanoseconds: [Int64] = []

    init(capacity: Int) {
        nanoseconds.reserveCapacity(capacity)
    }

    mutating func record(_ duration: Duration) {
        nanoseconds.append(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    var count: Int { nanoseconds.count }

    mutating func append(_ other: LatencySamples) {
        nanoseconds += other.nanoseconds
    }

    /// The smallest sample that at least `quantile` of the samples do not exceed, in milliseconds.
    func percentiles(_ quantiles: [Double]) -> [Double] {
        guard !nanoseconds.isEmpty else { return quantiles.map { _ in .nan } }
        let sorted = nanoseconds.sorted()
        return quantiles.map { q in
            let rank = Int((q * Double(sorted.count)).rounded(.up))
            return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1e6
        }
    }
}

/// What a run of sequential calls measured.
struct SequentialResult: Sendable {
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    var callsPerSecond: Double
    /// Answers that were JSON-RPC errors or tool errors.
    var errors: Int
    let samples: LatencySamples
    let elapsed: Duration
    /// CPU time of the client's own thread over the timed calls, when one thread made them.
    let clientCPU: Duration?

    /// The client's CPU per call, in microseconds.
    var clientMicrosPerCall: Double? {
        guard let clientCPU, samples.count > 0 else { return nil }
        return clientCPU.seconds * 1e6 / Double(samples.count)
    }

    init(samples: LatencySamples, elapsed: Duration, errors: Int, clientCPU: Duration? = nil) {
        let p = samples.percentiles([0.50, 0.99])
        p50Milliseconds = p[0]
        p99Milliseconds = p[1]
        callsPerSecond = Double(samples.count) / elapsed.seconds
        self.errors = errors
        self.samples = samples
        self.elapsed = elapsed
        self.clientCPU = clientCPU
    }

    /// Several runs as one: every sample, and the calls over the time of all runs.
    init?(combining runs: [SequentialResult]) {
        guard !runs.isEmpty else { return nil }
        var samples = LatencySamples(capacity: runs.reduce(0) { $0 + $1.samples.count })
        for run in runs { samples.append(run.samples) }
        let cpu = runs.allSatisfy { $0.clientCPU != nil } ? runs.reduce(Duration.zero) { $0 + $1.clientCPU! } : nil
        self.init(samples: samples, elapsed: runs.reduce(Duration.zero) { $0 + $1.elapsed }, errors: runs.reduce(0) { $0 + $1.errors },
                  clientCPU: cpu)
    }
}

/// What a run of concurrent calls measured.
struct ConcurrentResult: Sendable {
    var calls: Int
    var callsPerSecond: Double
    var errors: Int

    init(calls: Int, callsPerSecond: Double, errors: Int) {
        self.calls = calls
        self.callsPerSecond = callsPerSecond
        self.errors = errors
    }

    /// Several runs as one: their calls over the time of all runs.
    init?(combining runs: [ConcurrentResult]) {
        guard !runs.isEmpty else { return nil }
        let calls = runs.reduce(0) { $0 + $1.calls }
        let seconds = runs.reduce(0.0) { $0 + Double($1.calls) / $1.callsPerSecond }
        self.init(calls: calls, callsPerSecond: Double(calls) / seconds, errors: runs.reduce(0) { $0 + $1.errors })
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Why a scenario could not be measured; the report prints it in the scenario's row.
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
