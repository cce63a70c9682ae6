import Synchronization

/// Counters exported at /metrics in Prometheus text format. Label values are fixed words,
/// never client input or secrets.
public final class ServerMetrics: Sendable {
    private let counters = Mutex<[String: Int]>([:])

    public init() {}

    /// Counts one rejected input by reason (e.g. "parse", "too_large", "header_mismatch").
    public func rejected(_ reason: String) { add("hangar_rejected_messages_total{reason=\"\(reason)\"}") }
    public func request(_ transport: String, era: String) { add("hangar_requests_total{transport=\"\(transport)\",era=\"\(era)\"}") }

    private func add(_ key: String) { counters.withLock { $0[key, default: 0] += 1 } }

    public func value(_ key: String) -> Int { counters.withLock { $0[key] ?? 0 } }

    public var prometheusText: String {
        let snapshot = counters.withLock { $0 }
        var out = ""
        var typed = Set<String>()
        for (key, value) in snapshot.sorted(by: { $0.key < $1.key }) {
            let name = String(key.prefix { $0 != "{" })
            if typed.insert(name).inserted { out += "# TYPE \(name) counter\n" }
            out += "\(key) \(value)\n"
        }
        return out
    }
}
