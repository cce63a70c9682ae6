import Foundation
import HangarCore
import HangarSandbox
import HangarTransport
import Logging

/// Runs each workload in the sandbox (bubblewrap, its own uid, rlimits, cgroups, seccomp, no
/// network or only allowed domains), with `<serversDirectory>/<name>` as its only writable folder,
/// mounted at /srv. An executable outside the system folders (its prefix when it sits in a
/// `bin/`, e.g. a venv) and a working directory are mounted read-only at the same path, so
/// `hangar add NAME -- /opt/x/server` runs as given.
public struct SandboxLauncher: WorkloadLauncher {
    public let probe: SandboxProbe
    public let serversDirectory: String
    /// Folders no bind may contain (the data directory): a command or working directory in one
    /// of their ancestors is refused rather than mounting what they hold.
    public let protectedPaths: [String]
    let logger: Logger
    let maxLineBytes = 16 << 10

    public init(probe: SandboxProbe, serversDirectory: String, protectedPaths: [String] = [], logger: Logger) {
        self.probe = probe
        self.serversDirectory = serversDirectory
        self.protectedPaths = ([serversDirectory] + protectedPaths).map { ($0 as NSString).standardizingPath }
        self.logger = logger
    }

    /// Whether a host folder may be mounted (read-only) in a sandbox: not `/`, not a system
    /// folder (the sandbox has its own read-only /usr), and not a folder that contains the servers'
    /// folders or the data directory (`/bin/sh` once mounted the host's whole root: its prefix is `/`).
    func mayBind(_ path: String) -> Bool {
        let p = (path as NSString).standardizingPath
        let system = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc", "/sys", "/dev", "/boot", "/run", "/var/run"]
        guard p.hasPrefix("/"), p != "/", !system.contains(where: { p == $0 || p.hasPrefix($0 + "/") }) else { return false }
        return !protectedPaths.contains { $0 == p || $0.hasPrefix(p + "/") }
    }

    public func launch(_ spec: WorkloadSpec) async throws -> any LaunchedWorkload {
        try spec.validate()
        let folder = serversDirectory + "/" + spec.name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var binds: [ReadOnlyBind] = []
        var seen = Set<String>()
        func bind(_ path: String) {
            guard mayBind(path), !path.hasPrefix(folder), !seen.contains(path), FileManager.default.fileExists(atPath: path) else { return }
            seen.insert(path)
            binds.append(ReadOnlyBind(host: path, inside: path))
        }
        var command = spec.command
        if let first = command.first {
            // A bare name is looked up in the sandbox's PATH first (python3 is /usr/bin/python3 there),
            // then in the daemon's (whose prefix is then mounted).
            var sandboxPath = spec.environment
            sandboxPath["PATH"] = spec.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            let resolved = first.contains("/") ? first
                : ProcessSpec(command: first, environment: sandboxPath).resolvedExecutable()
                ?? ProcessSpec(command: first, environment: spec.environment).resolvedExecutable() ?? first
            command[0] = resolved
            // A venv's or prefix's bin/: mount the whole prefix (its lib/ holds the packages).
            let dir = (resolved as NSString).deletingLastPathComponent
            bind(dir.hasSuffix("/bin") ? (dir as NSString).deletingLastPathComponent : dir)
        }
        if let cwd = spec.workingDirectory {
            guard mayBind(cwd) else {
                throw SupervisorError(.invalidSpec, "the working directory \(cwd) cannot be mounted in the sandbox: it is /, a system folder, or holds Hangar's data", name: spec.name)
            }
            bind(cwd)
        }
        var limits = ResourceLimits()
        limits.memoryBytes = spec.limits.memoryBytes.map { UInt64($0) }
        limits.cpuCores = spec.limits.cpus
        limits.maxProcesses = spec.limits.maxProcesses
        limits.openFiles = spec.limits.maxOpenFiles.map { UInt64($0) }
        let network: HangarSandbox.NetworkPolicy
        switch spec.network {
        case .none, .full: network = .none  // full host networking is never given to a sandboxed server
        case .allowlist(let domains): network = .allowDomains(domains.map { $0.split(separator: ":").first.map(String.init) ?? $0 })
        }
        if case .full = spec.network {
            logger.warning("network 'full' is not available in the sandbox; the server gets none", metadata: ["hangar.server": "\(spec.name)"])
        }
        var sandboxSpec = SandboxSpec(workloadID: spec.name, command: command, environment: spec.environment, serverDirectory: folder,
                                      readOnlyBinds: binds, limits: limits, network: network,
                                      path: spec.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        sandboxSpec.servesLoopback = spec.needsPort
        sandboxSpec.workingDirectory = spec.workingDirectory
        // Decided on the server's own command: the process started is bwrap.
        sandboxSpec.placement = spec.cpuPlacement.resolved(executable: command.first ?? "")
        let sandboxed = try await Sandbox.launch(sandboxSpec, probe: probe, logger: logger)
        do {
            let pipes = try await WorkloadPipes.open(stdin: sandboxed.stdinFD, stdout: sandboxed.stdoutFD, stderr: sandboxed.stderrFD,
                                                     maxLineBytes: maxLineBytes)
            // An HTTP server listens in the sandbox's own network: bridge its port to the host's loopback.
            var bridge: PortBridge?
            if spec.needsPort, let port = spec.environment["PORT"].flatMap(Int.init), let pid = sandboxed.sandboxPID,
               sandboxed.activeLayers.contains(.bubblewrap) {
                bridge = try await PortBridge.open(netnsPath: "/proc/\(pid)/ns/net", port: port, logger: logger)
            }
            return SandboxedWorkload(sandboxed: sandboxed, pipes: pipes, bridge: bridge)
        } catch {
            try? await sandboxed.cleanup(grace: .zero)
            throw error
        }
    }
}

/// A workload process inside its sandbox.
final class SandboxedWorkload: LaunchedWorkload {
    let sandboxed: SandboxedProcess
    private let pipes: WorkloadPipes
    let bridge: PortBridge?

    init(sandboxed: SandboxedProcess, pipes: WorkloadPipes, bridge: PortBridge?) {
        self.sandboxed = sandboxed
        self.pipes = pipes
        self.bridge = bridge
    }

    var reachablePort: Int? { bridge?.hostPort }
    var egressCounts: EgressCounts? { sandboxed.egress.map { EgressCounts(allowed: $0.stats.allowed, denied: $0.stats.denied) } }

    var pid: Int32 { sandboxed.pid }
    var stderrLines: AsyncStream<String> { pipes.stderrLines }

    var isolation: String {
        let active = sandboxed.activeLayers.sorted().map(\.rawValue)
        let missing = sandboxed.inactiveLayers.keys.sorted().map(\.rawValue)
        return "sandbox: " + active.joined(separator: ",") + (missing.isEmpty ? "" : "; missing: " + missing.joined(separator: ","))
    }

    func takeStdio() -> WorkloadStdio? { pipes.takeStdio() }

    func waitForExit() async -> WorkloadExit? {
        WorkloadExit(rawCode: await sandboxed.waitForExit())
    }

    func terminate(grace: Duration) async {
        await sandboxed.stop(grace: grace)
    }

    func cleanup() async {
        await bridge?.close()
        await pipes.close()
        try? await sandboxed.cleanup(grace: .seconds(1))
    }

    func resourceUsage() async -> LauncherResourceUsage? {
        let u = sandboxed.usage()
        return LauncherResourceUsage(cpuTime: u.cpuMicroseconds.map { .microseconds(Int64(clamping: $0)) },
                                     memoryBytes: u.memoryBytes.map { Int(clamping: $0) },
                                     oomKills: u.oomKills.map { Int(clamping: $0) })
    }
}
