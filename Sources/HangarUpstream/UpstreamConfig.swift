#if canImport(Glibc)
import Glibc
#endif
import HangarCore
import HangarTransport

/// One configured MCP server that Hangar connects to.
public struct UpstreamConfig: Sendable {
    public enum Transport: Sendable {
        case stdio(ProcessSpec)
        case http(url: String, headers: [(String, String)])
        /// A hosted workload: the supervisor starts the process and hands its pipes over with
        /// `Upstream.attach`; restarts and backoff are the supervisor's.
        case hosted
        /// A server inside the daemon (Hangar's management tools); trusted with the caller's identity.
        case inProcess(any InProcessServer)
    }

    /// The server's name in the config; also the default prefix of its exposed names.
    public var name: String
    public var transport: Transport
    /// How long one request may take before it is cancelled upstream (default 60 s).
    public var requestTimeout: Duration
    /// How long the era probe and handshake may take (default 30 s).
    public var connectTimeout: Duration
    /// Exponential restart delays after a crash.
    public var backoff: Backoff
    /// Resolves references (`${secret:NAME}`) in env values, arguments and headers at each
    /// launch or connection; never applied to what is stored or logged.
    public var resolve: (@Sendable (String) throws -> String)?
    /// Applied to the server's stderr lines before they are logged (secret redaction).
    public var scrub: (@Sendable (String) -> String)?

    /// The transport with every reference resolved.
    public func resolvedTransport() throws -> Transport {
        guard let resolve else { return transport }
        switch transport {
        case .stdio(var spec):
            spec.arguments = try spec.arguments.map(resolve)
            for (k, v) in spec.environment where v.contains("${") { spec.environment[k] = try resolve(v) }
            return .stdio(spec)
        case .http(let url, let headers):
            return .http(url: url, headers: try headers.map { ($0.0, try resolve($0.1)) })
        case .hosted, .inProcess:
            return transport
        }
    }

    public init(name: String, transport: Transport, requestTimeout: Duration = .seconds(60),
                connectTimeout: Duration = .seconds(30), backoff: Backoff = Backoff()) {
        self.name = name
        self.transport = transport
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.backoff = backoff
    }
}

/// Restart delays: exponential with full jitter, capped, reset after a stable run.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// A run longer than this resets the delay to `initial`.
    public var stableAfter: Duration

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(30), multiplier: Double = 2,
                stableAfter: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.stableAfter = stableAfter
    }

    /// The delay before restart number `attempt` (0-based), given a random fraction in [0, 1).
    /// Jitter keeps it between half and all of the exponential step.
    public func delay(attempt: Int, random: Double) -> Duration {
        let base = Double(initial.components.seconds) + Double(initial.components.attoseconds) / 1e18
        let cap = Double(maximum.components.seconds) + Double(maximum.components.attoseconds) / 1e18
        let step = min(cap, base * pow(multiplier, Double(min(attempt, 60))))
        let seconds = step * (0.5 + 0.5 * random)
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

