import Foundation
import HangarTransport

/// Everything needed to host one MCP server as a supervised process: what to run, how it is
/// confined, when it restarts, how its health is judged and when it expires.
/// Persisted by the daemon (durations are encoded as seconds), so every field has a default.
public struct WorkloadSpec: Sendable, Hashable, Codable {
    /// The workload's name: 1-64 characters from `A-Z a-z 0-9 . _ -`, not starting with a dot
    /// (it names the log file).
    public var name: String
    /// The executable and its arguments, e.g. `["python3", "server.py"]`.
    public var command: [String]
    /// Environment of the server (nothing of the daemon's is inherited but `PATH` when absent).
    public var environment: [String: String]
    public var workingDirectory: String?
    /// Resource limits the launcher enforces where it can.
    public var limits: WorkloadLimits
    /// What the server may reach on the network.
    public var network: NetworkPolicy
    /// How long an instance lives after it is started or restored; nil: no expiry.
    public var timeToLive: Duration?
    public var restart: RestartPolicy
    public var health: HealthPolicy
    /// Time between SIGTERM and SIGKILL when the workload is stopped.
    public var stopGrace: Duration
    /// The server speaks HTTP: it gets a free loopback port in `PORT`.
    public var needsPort: Bool
    /// The MCP endpoint's path on that port (Streamable HTTP), default `/mcp`.
    public var httpPath: String = "/mcp"
    /// Where the server's code comes from when Hangar installs it (a PyPI package in a venv
    /// of its own); `command` then holds only the extra arguments.
    public var package: WorkloadPackage?
    /// Whether the server's threads are kept on one CPU (``CPUPlacement``); nil: see
    /// ``cpuPlacement``.
    public var placement: CPUPlacement?

    /// How the launcher places the server: its own `placement`; else anywhere when its CPU
    /// limit is above one core (one CPU would cap it below what it was given); else the
    /// daemon's default for servers. `auto` is decided by the launcher on the resolved command.
    public var cpuPlacement: CPUPlacement {
        if let placement { return placement }
        if let cores = limits.cpus, cores > 1 { return .any }
        return CPUAffinity.serverPlacement
    }

    public init(
        name: String, command: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        limits: WorkloadLimits = WorkloadLimits(), network: NetworkPolicy = .none, timeToLive: Duration? = nil,
        restart: RestartPolicy = RestartPolicy(), health: HealthPolicy = HealthPolicy(),
        stopGrace: Duration = .seconds(5), needsPort: Bool = false, package: WorkloadPackage? = nil
    ) {
        self.name = name
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.limits = limits
        self.network = network
        self.timeToLive = timeToLive
        self.restart = restart
        self.health = health
        self.stopGrace = stopGrace
        self.needsPort = needsPort
        self.package = package
    }

    /// Throws a precise error for a spec that cannot run.
    public func validate() throws(SupervisorError) {
        guard Self.isValidName(name) else {
            throw SupervisorError(.invalidSpec, "workload name must be 1-64 characters of A-Z a-z 0-9 . _ - and not start with '.'", name: name)
        }
        if let package {
            try package.validate(name: name)
        } else if command.first?.isEmpty ?? true {
            throw SupervisorError(.invalidSpec, "command is empty", name: name)
        }
        for key in environment.keys where key.isEmpty || key.contains("=") || key.contains("\0") {
            throw SupervisorError(.invalidSpec, "environment variable name '\(key)' is invalid", name: name)
        }
        guard restart.crashLoopLimit >= 1, restart.crashLoopWindow > .zero, restart.initialBackoff >= .zero,
              restart.maximumBackoff >= restart.initialBackoff, (0...1).contains(restart.jitter) else {
            throw SupervisorError(.invalidSpec, "restart policy needs limit >= 1, window > 0, 0 <= initial <= maximum backoff, jitter in 0...1", name: name)
        }
        guard health.failureThreshold >= 1, health.interval.map({ $0 > .zero }) ?? true, health.startTimeout > .zero else {
            throw SupervisorError(.invalidSpec, "health policy needs threshold >= 1 and positive interval and start timeout", name: name)
        }
        if let ttl = timeToLive, ttl <= .zero {
            throw SupervisorError(.invalidSpec, "time to live must be positive", name: name)
        }
        guard httpPath.hasPrefix("/"), !httpPath.contains(where: { $0 == " " || $0 == "\n" }) else {
            throw SupervisorError(.invalidSpec, "the HTTP path must start with / (e.g. /mcp)", name: name)
        }
        guard stopGrace >= .zero else { throw SupervisorError(.invalidSpec, "stop grace must not be negative", name: name) }
    }

    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), !name.hasPrefix(".") else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }

    private enum CodingKeys: String, CodingKey {
        case name, command, environment, workingDirectory, limits, network, timeToLive, restart, health, stopGrace, needsPort, package, httpPath
        case placement
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), command: try c.decode([String].self, forKey: .command))
        environment = try c.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        workingDirectory = try c.decodeIfPresent(String.self, forKey: .workingDirectory)
        limits = try c.decodeIfPresent(WorkloadLimits.self, forKey: .limits) ?? WorkloadLimits()
        network = try c.decodeIfPresent(NetworkPolicy.self, forKey: .network) ?? .none
        timeToLive = try c.decodeIfPresent(Double.self, forKey: .timeToLive).map { Duration.seconds($0) }
        restart = try c.decodeIfPresent(RestartPolicy.self, forKey: .restart) ?? RestartPolicy()
        health = try c.decodeIfPresent(HealthPolicy.self, forKey: .health) ?? HealthPolicy()
        stopGrace = try c.decodeIfPresent(Double.self, forKey: .stopGrace).map { Duration.seconds($0) } ?? .seconds(5)
        needsPort = try c.decodeIfPresent(Bool.self, forKey: .needsPort) ?? false
        package = try c.decodeIfPresent(WorkloadPackage.self, forKey: .package)
        httpPath = try c.decodeIfPresent(String.self, forKey: .httpPath) ?? "/mcp"
        placement = try c.decodeIfPresent(CPUPlacement.self, forKey: .placement)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(command, forKey: .command)
        try c.encode(environment, forKey: .environment)
        try c.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
        try c.encode(limits, forKey: .limits)
        try c.encode(network, forKey: .network)
        try c.encodeIfPresent(timeToLive?.seconds, forKey: .timeToLive)
        try c.encode(restart, forKey: .restart)
        try c.encode(health, forKey: .health)
        try c.encode(stopGrace.seconds, forKey: .stopGrace)
        try c.encode(needsPort, forKey: .needsPort)
        try c.encodeIfPresent(package, forKey: .package)
        if needsPort { try c.encode(httpPath, forKey: .httpPath) }
        try c.encodeIfPresent(placement, forKey: .placement)
    }
}

/// A package Hangar installs for a workload before launching it.
public enum WorkloadPackage: Sendable, Hashable, Codable {
    /// A PyPI distribution, installed into a venv of the server's own; `entryPoint` names the
    /// console script to run (default: the package's only one, or the one named like it).
    case pypi(name: String, version: String?, entryPoint: String?)

    /// `NAME`, `NAME==VERSION`: a distribution name as PyPI spells it (PEP 508 name, exact pin).
    public static func pypi(requirement: String) throws(SupervisorError) -> WorkloadPackage {
        let parts = requirement.split(separator: "==", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let package = WorkloadPackage.pypi(name: parts[0], version: parts.count > 1 ? parts[1] : nil, entryPoint: nil)
        try package.validate(name: requirement)
        return package
    }

    func validate(name: String) throws(SupervisorError) {
        switch self {
        case .pypi(let package, let version, let entryPoint):
            func plain(_ s: String, extra: String) -> Bool {
                !s.isEmpty && s.utf8.count <= 128 && s.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || extra.unicodeScalars.contains($0)) }
            }
            guard plain(package, extra: "._-"), package.first?.isLetter == true || package.first?.isNumber == true else {
                throw SupervisorError(.invalidSpec, "'\(package)' is not a PyPI package name (letters, digits, . _ -)", name: name)
            }
            if let version, !plain(version, extra: ".+!-_") {
                throw SupervisorError(.invalidSpec, "'\(version)' is not a version (write NAME==VERSION, e.g. mcp-server-time==2025.9.25)", name: name)
            }
            if let entryPoint, !plain(entryPoint, extra: "._-") {
                throw SupervisorError(.invalidSpec, "'\(entryPoint)' is not a console script name", name: name)
            }
        }
    }
}

/// Resource limits for one workload; nil means the launcher's default.
public struct WorkloadLimits: Sendable, Hashable, Codable {
    public var memoryBytes: Int?
    /// CPU share in cores (0.5 = half a core).
    public var cpus: Double?
    public var maxProcesses: Int?
    public var maxOpenFiles: Int?

    public init(memoryBytes: Int? = nil, cpus: Double? = nil, maxProcesses: Int? = nil, maxOpenFiles: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.maxProcesses = maxProcesses
        self.maxOpenFiles = maxOpenFiles
    }
}

/// What a workload may reach on the network.
public enum NetworkPolicy: Sendable, Hashable, Codable {
    /// No network at all (loopback inside its own namespace only).
    case none
    /// Only these hosts (`host` or `host:port`), through the egress proxy.
    case allowlist([String])
    /// The host's network, unrestricted.
    case full
}

/// When and how fast a workload is restarted after it exits on its own.
public struct RestartPolicy: Sendable, Hashable, Codable {
    public enum Mode: String, Sendable, Hashable, Codable {
        /// Restart after every exit the user did not ask for.
        case always
        /// Restart only after a non-zero exit, a signal or failed health checks.
        case onFailure = "on-failure"
        /// Never restart.
        case never
    }
    public var mode: Mode
    /// Delay before the first restart; doubles with each crash in the window.
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// Random spread of each delay, as a fraction (0.2: ±20 %).
    public var jitter: Double
    /// This many crashes within `crashLoopWindow` park the workload in `failed`.
    public var crashLoopLimit: Int
    public var crashLoopWindow: Duration

    public init(mode: Mode = .always, initialBackoff: Duration = .milliseconds(500), maximumBackoff: Duration = .seconds(30),
                jitter: Double = 0.2, crashLoopLimit: Int = 5, crashLoopWindow: Duration = .seconds(60)) {
        self.mode = mode
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.jitter = jitter
        self.crashLoopLimit = crashLoopLimit
        self.crashLoopWindow = crashLoopWindow
    }

    private enum CodingKeys: String, CodingKey { case mode, initialBackoff, maximumBackoff, jitter, crashLoopLimit, crashLoopWindow }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? mode
        initialBackoff = try c.decodeIfPresent(Double.self, forKey: .initialBackoff).map { Duration.seconds($0) } ?? initialBackoff
        maximumBackoff = try c.decodeIfPresent(Double.self, forKey: .maximumBackoff).map { Duration.seconds($0) } ?? maximumBackoff
        jitter = try c.decodeIfPresent(Double.self, forKey: .jitter) ?? jitter
        crashLoopLimit = try c.decodeIfPresent(Int.self, forKey: .crashLoopLimit) ?? crashLoopLimit
        crashLoopWindow = try c.decodeIfPresent(Double.self, forKey: .crashLoopWindow).map { Duration.seconds($0) } ?? crashLoopWindow
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(initialBackoff.seconds, forKey: .initialBackoff)
        try c.encode(maximumBackoff.seconds, forKey: .maximumBackoff)
        try c.encode(jitter, forKey: .jitter)
        try c.encode(crashLoopLimit, forKey: .crashLoopLimit)
        try c.encode(crashLoopWindow.seconds, forKey: .crashLoopWindow)
    }
}

/// How a workload's health is judged.
public struct HealthPolicy: Sendable, Hashable, Codable {
    /// Time between checks while running; nil: no periodic checks.
    public var interval: Duration?
    /// Consecutive failed checks that make the workload unhealthy (and restart it).
    public var failureThreshold: Int
    /// Time from launch to ready (e.g. the MCP handshake) before the launch counts as failed.
    public var startTimeout: Duration

    public init(interval: Duration? = .seconds(10), failureThreshold: Int = 3, startTimeout: Duration = .seconds(30)) {
        self.interval = interval
        self.failureThreshold = failureThreshold
        self.startTimeout = startTimeout
    }

    private enum CodingKeys: String, CodingKey { case interval, failureThreshold, startTimeout }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if c.contains(.interval) { interval = try c.decodeIfPresent(Double.self, forKey: .interval).map { Duration.seconds($0) } }
        failureThreshold = try c.decodeIfPresent(Int.self, forKey: .failureThreshold) ?? failureThreshold
        startTimeout = try c.decodeIfPresent(Double.self, forKey: .startTimeout).map { Duration.seconds($0) } ?? startTimeout
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(interval?.seconds, forKey: .interval)
        try c.encode(failureThreshold, forKey: .failureThreshold)
        try c.encode(startTimeout.seconds, forKey: .startTimeout)
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
