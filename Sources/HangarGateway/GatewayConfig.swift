import Foundation
import HangarCore
import HangarTransport
import HangarUpstream

/// Everything `hangar serve` / `hangar stdio` reads from the config file, with defaults.
/// The file format is documented in README.md ("Configuration").
public struct GatewayConfig: Sendable {
    /// Upstream servers in the order the file lists them; the order decides name collisions.
    public var servers: [UpstreamConfig]
    public var naming: NamingPolicy
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var limits: JSONLimits
    /// Origins allowed besides localhost ones (exact match, e.g. "https://app.example.com").
    public var allowedOrigins: [String]
    /// Items per page of every list; 0 = everything in one page.
    public var pageSize: Int
    /// `ttlMs` on modern list results.
    public var listTTLMilliseconds: Int
    /// Default per-request timeout for servers without their own `timeoutSeconds` (default 60 s).
    public var requestTimeout: Duration = .seconds(60)
    /// How long `serve` waits for upstreams' first connection before it starts listening.
    public var startupWait: Duration
    /// Authentication, permissions, rate limits and call checks.
    public var policy = PolicyConfig()
    /// Servers `hangar serve` hosts in the sandbox, by name, each in the admin API's form
    /// (`command` or `pypi`, `env`, limits, `network`, `http`, ...); read by the daemon.
    public var hosted: JSONObject = [:]
    /// `hangar serve` offers its hosting and catalog actions as MCP tools (`hangar__…`).
    public var managementTools = true
    /// CPUs Hangar's own threads run on (`gateway.cpus`); nil: wherever the kernel puts them.
    public var cpus: [Int]?
    /// CPUs of every process Hangar starts that names none itself (`gateway.upstreamCPUs`);
    /// nil: the CPUs Hangar itself could use when it started.
    public var upstreamCPUs: [Int]?
    /// How each server Hangar starts is placed within those CPUs when its own config says
    /// nothing (`gateway.placement`); nil: ``CPUPlacement/auto``.
    public var placement: CPUPlacement?

    public init(servers: [UpstreamConfig] = [], naming: NamingPolicy = NamingPolicy(), host: String = "127.0.0.1", port: Int = 8700,
                dataDirectory: String = GatewayConfig.defaultDataDirectory, limits: JSONLimits = .default, allowedOrigins: [String] = [],
                pageSize: Int = 0, listTTLMilliseconds: Int = 5000, startupWait: Duration = .seconds(15)) {
        self.servers = servers
        self.naming = naming
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.limits = limits
        self.allowedOrigins = allowedOrigins
        self.pageSize = pageSize
        self.listTTLMilliseconds = listTTLMilliseconds
        self.startupWait = startupWait
    }

    public static var defaultDataDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["HANGAR_DATA_DIR"], !dir.isEmpty { return dir }
        return (env["HOME"] ?? "/tmp") + "/.hangar"
    }
}

/// How upstream names become exposed names.
public struct NamingPolicy: Sendable, Hashable {
    /// Between server and tool name in `SERVER__TOOL`.
    public var separator: String
    /// When false, tools and prompts keep their own names while unique; a clash falls back to the prefixed name.
    public var prefix: Bool

    public init(separator: String = "__", prefix: Bool = true) {
        self.separator = separator
        self.prefix = prefix
    }
}

/// A config file that cannot be used; the message says which key and why.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
