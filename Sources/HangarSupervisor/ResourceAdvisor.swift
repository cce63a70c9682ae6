import Foundation

/// Recommendations for one hosted server from what was measured: limits far above or close to
/// the observed peak, a crash loop, an idle server without a time to live. Pure: the same inputs
/// give the same advice (`optimize_server_resources`).
public enum ResourceAdvisor {
    public struct Recommendation: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case lowerMemoryLimit, setMemoryLimit, raiseMemoryLimit, crashLoop, idleWithoutTTL
        }
        public var server: String
        public var kind: Kind
        /// What to do and why, with the figures.
        public var message: String
        /// A suggested value where one applies (bytes for memory, seconds for a TTL).
        public var suggested: Int?
    }

    /// Samples needed before usage-based advice is given (the supervisor samples every few seconds).
    public static let minimumSamples = 3
    /// Idle advice needs this much observed time.
    public static let idleWindow: TimeInterval = 600

    public static func recommend(spec: WorkloadSpec, snapshot: WorkloadSnapshot, samples: [MetricsSample]) -> [Recommendation] {
        var out: [Recommendation] = []
        func add(_ kind: Recommendation.Kind, _ message: String, _ suggested: Int? = nil) {
            out.append(Recommendation(server: spec.name, kind: kind, message: message, suggested: suggested))
        }
        if snapshot.state == .failed || snapshot.restarts >= 3 {
            add(.crashLoop, "\(spec.name) restarted \(snapshot.restarts) times and is \(snapshot.state.rawValue)"
                + (snapshot.lastError.map { " (last error: \($0))" } ?? "") + "; read `hangar logs \(spec.name)` and fix its command, environment or limits")
        }
        let oomKills = samples.last?.oomKills ?? snapshot.oomKills ?? 0
        if samples.count >= minimumSamples, let peak = samples.map(\.memoryBytes).max(), peak > 0 {
            let mib = 1 << 20
            let roundUp = { (bytes: Int) in ((bytes + 16 * mib - 1) / (16 * mib)) * 16 * mib }
            if let limit = spec.limits.memoryBytes {
                if oomKills > 0 || Double(peak) > 0.9 * Double(limit) {
                    let suggested = roundUp(max(limit * 2, peak * 2))
                    add(.raiseMemoryLimit, "\(spec.name) peaked at \(peak / mib) MiB of its \(limit / mib) MiB limit"
                        + (oomKills > 0 ? " and was OOM-killed \(oomKills) times" : "") + "; raise it to \(suggested / mib) MiB", suggested)
                } else if limit > 4 * peak {
                    let suggested = roundUp(max(peak * 2, 64 * mib))
                    if suggested < limit {
                        add(.lowerMemoryLimit, "\(spec.name) peaked at \(peak / mib) MiB, far below its \(limit / mib) MiB limit; \(suggested / mib) MiB leaves twice its peak", suggested)
                    }
                }
            } else {
                let suggested = roundUp(max(peak * 2, 128 * mib))
                add(.setMemoryLimit, "\(spec.name) has no memory limit and peaked at \(peak / mib) MiB; a limit of \(suggested / mib) MiB contains a leak", suggested)
            }
        }
        if spec.timeToLive == nil, snapshot.state == .running, samples.count >= minimumSamples,
           let first = samples.first, let last = samples.last, last.time.timeIntervalSince(first.time) >= idleWindow {
            let average = samples.map(\.cpuPercent).reduce(0, +) / Double(samples.count)
            if average < 1 {
                add(.idleWithoutTTL, "\(spec.name) used \(String(format: "%.2f", average))% CPU on average over \(Int(last.time.timeIntervalSince(first.time) / 60)) minutes; a time to live (e.g. 1h, restored on demand with `hangar restore`) frees its memory", 3600)
            }
        }
        return out
    }
}
