import Synchronization

/// Token buckets per identity, per tool and per server, and a cap on concurrent calls per
/// identity. A call takes one token from each bucket that applies, or none at all.
public final class RateLimiter: Sendable {
    public struct Rate: Sendable, Hashable {
        /// Tokens added per second.
        public var perSecond: Double
        /// Bucket size: how many calls may come at once after a quiet spell.
        public var burst: Double

        public init(perSecond: Double, burst: Double? = nil) {
            self.perSecond = perSecond
            self.burst = burst ?? max(1, perSecond)
        }
    }

    public struct Limits: Sendable, Hashable {
        public var perIdentity: Rate?
        public var perTool: Rate?
        public var perServer: Rate?
        /// Overrides of `perTool` for single exposed tools.
        public var tools: [String: Rate]
        /// At most this many calls in flight per identity.
        public var concurrentPerIdentity: Int?

        public init(perIdentity: Rate? = nil, perTool: Rate? = nil, perServer: Rate? = nil, tools: [String: Rate] = [:],
                    concurrentPerIdentity: Int? = nil) {
            self.perIdentity = perIdentity
            self.perTool = perTool
            self.perServer = perServer
            self.tools = tools
            self.concurrentPerIdentity = concurrentPerIdentity
        }

        public var isUnlimited: Bool {
            perIdentity == nil && perTool == nil && perServer == nil && tools.isEmpty && concurrentPerIdentity == nil
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private struct State {
        var buckets: [String: Bucket] = [:]
        var inFlight: [String: Int] = [:]
    }

    public let limits: Limits
    private let state = Mutex(State())
    private let now: @Sendable () -> ContinuousClock.Instant

    public init(limits: Limits, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.limits = limits
        self.now = now
    }

    /// A granted call; `release()` it when the call ends (frees its concurrency slot).
    public struct Permit: Sendable {
        fileprivate let limiter: RateLimiter?
        fileprivate let identity: String

        public func release() {
            limiter?.release(identity)
        }
    }

    /// Takes a token from every bucket that applies and a concurrency slot, or throws a
    /// `.rateLimited` error that says which limit and when to retry.
    public func acquire(identity: String, server: String, tool: String) throws(PolicyError) -> Permit {
        if limits.isUnlimited { return Permit(limiter: nil, identity: identity) }
        // What a bucket counts is put in words only for a refusal, not on every call.
        enum Counted { case byIdentity, ofTool, toServer }
        func words(_ counted: Counted) -> String {
            switch counted {
            case .byIdentity: "calls by \(identity)"
            case .ofTool: "calls of \(tool)"
            case .toServer: "calls to server \(server)"
            }
        }
        var checks: [(key: String, rate: Rate, counted: Counted)] = []
        if let r = limits.perIdentity { checks.append(("i:" + identity, r, .byIdentity)) }
        if let r = limits.tools[tool] ?? limits.perTool { checks.append(("t:" + tool, r, .ofTool)) }
        if let r = limits.perServer { checks.append(("s:" + server, r, .toServer)) }
        let at = now()
        let concurrency = limits.concurrentPerIdentity
        let refusal: PolicyError? = state.withLock { s in
            if let max = concurrency, s.inFlight[identity, default: 0] >= max {
                return PolicyError(.rateLimited, "Too many concurrent calls by \(identity) (limit \(max)); retry when one finishes",
                                   retryAfter: .milliseconds(100))
            }
            var refilled: [(String, Bucket)] = []
            for check in checks {
                var b = s.buckets[check.key] ?? Bucket(tokens: check.rate.burst, updated: at)
                let elapsed = at - b.updated
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                b.tokens = min(check.rate.burst, b.tokens + max(0, seconds) * check.rate.perSecond)
                b.updated = at
                if b.tokens < 1 {
                    let wait = (1 - b.tokens) / check.rate.perSecond
                    return PolicyError(.rateLimited,
                                       "Rate limit exceeded for \(words(check.counted)) (\(Self.format(check.rate.perSecond))/s); retry in \(Self.format(wait)) s",
                                       retryAfter: .nanoseconds(Int64(wait * 1e9)))
                }
                refilled.append((check.key, b))
            }
            for (key, var b) in refilled {
                b.tokens -= 1
                s.buckets[key] = b
            }
            if concurrency != nil { s.inFlight[identity, default: 0] += 1 }
            return nil
        }
        if let refusal { throw refusal }
        return Permit(limiter: concurrency == nil ? nil : self, identity: identity)
    }

    fileprivate func release(_ identity: String) {
        state.withLock { s in
            if let n = s.inFlight[identity] {
                if n <= 1 { s.inFlight.removeValue(forKey: identity) } else { s.inFlight[identity] = n - 1 }
            }
        }
    }

    private static func format(_ x: Double) -> String {
        let rounded = (x * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
