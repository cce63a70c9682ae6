import Foundation
import HangarCore
import HangarGateway
import HangarPolicy
import HangarSandbox
import HangarStore
import HangarSupervisor
import HangarUpstream
import Logging
import Synchronization

/// Hosted MCP servers: the supervisor runs them in the sandbox, the gateway speaks MCP to them
/// over their pipes (they join the one endpoint as `NAME__tool`), and their desired state is
/// kept in the store so a restarted daemon brings back what ran.
public final class HostedServers: Sendable {
    public let supervisor: Supervisor
    public let probe: SandboxProbe
    /// Venvs of the servers installed from PyPI.
    public let packages: PythonPackages
    let gateway: Gateway
    let store: any WorkloadStore
    let logger: Logger
    /// Instance tokens by public prefix: (server, SHA-256 of the token).
    private let tokens = Mutex<[String: (server: String, digest: String)]>([:])

    public init(gateway: Gateway, store: any WorkloadStore, dataDirectory: String, probe: SandboxProbe, logger: Logger) {
        self.gateway = gateway
        self.store = store
        self.probe = probe
        self.logger = logger
        let policy = gateway.policy
        let serversDirectory = Self.serversDirectory(dataDirectory: dataDirectory)
        logger.info("hosted servers' folders", metadata: ["hangar.path": "\(serversDirectory)"])
        let venvs = (serversDirectory as NSString).deletingLastPathComponent + "/"
            + (serversDirectory as NSString).lastPathComponent.replacingOccurrences(of: "servers", with: "venvs")
        try? FileManager.default.createDirectory(atPath: venvs, withIntermediateDirectories: true)
        chmod(venvs, 0o711)
        let packages = PythonPackages(venvsDirectory: venvs,
                                      cacheDirectory: ProcessInfo.processInfo.environment["HANGAR_PACKAGE_CACHE"] ?? dataDirectory + "/packages",
                                      logger: logger)
        self.packages = packages
        let launcher = ResolvingLauncher(inner: SandboxLauncher(probe: probe, serversDirectory: serversDirectory, logger: logger),
                                         prepare: { spec in try await packages.prepare(spec) },
                                         resolve: { text, server in try policy.resolveSecrets(text, for: server) })
        supervisor = Supervisor(configuration: SupervisorConfiguration(dataDirectory: dataDirectory), launcher: launcher,
                                healthCheck: MCPPing(gateway: gateway), connector: GatewayConnector(gateway: gateway), logger: logger)
        for missing in SandboxLayer.allCases where !probe.layer(missing).available {
            logger.warning("sandbox layer unavailable; hosted servers run without it",
                           metadata: ["hangar.layer": "\(missing.rawValue)", "reason": "\(probe.layer(missing).reason ?? "")"])
        }
    }

    /// Supervises until cancelled, keeping each hosted upstream's state in step with its workload.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.supervisor.run() }
            group.addTask {
                for await event in self.supervisor.events() {
                    guard case .stateChanged(_, let to) = event.kind, let upstream = self.gateway.pool.upstream(named: event.name) else { continue }
                    switch to {
                    case .pending, .starting, .unhealthy: upstream.markHosted(.starting, reason: event.detail)
                    case .backoff: upstream.markHosted(.backoff, reason: event.detail)
                    case .running: break
                    case .stopping, .stopped, .failed, .expired: upstream.markHosted(.stopped, reason: event.detail ?? "the server is \(to.rawValue)")
                    }
                }
            }
        }
    }

    /// Adds the workloads kept in the store and starts those that should run.
    public func restore() async throws {
        for record in try await store.workloads() {
            do {
                let spec = try JSONDecoder().decode(WorkloadSpec.self, from: Data(record.spec.utf8))
                try register(spec)
                if let prefix = record.tokenPrefix, let digest = record.tokenHash {
                    tokens.withLock { $0[prefix] = (spec.name, digest) }
                }
                if record.running {
                    try supervisor.resume(spec.name, expiresAt: record.expiresMs.map { Date(timeIntervalSince1970: Double($0) / 1000) })
                }
            } catch {
                logger.error("a stored hosted server could not be restored", metadata: ["hangar.server": "\(record.name)", "error": "\(error)"])
            }
        }
    }

    private func register(_ spec: WorkloadSpec) throws {
        guard gateway.addServer(UpstreamConfig(name: spec.name, transport: .hosted)) != nil else {
            throw SupervisorError(.duplicateWorkload, "a server named \(spec.name) already exists (in the config file or hosted)", name: spec.name)
        }
        do {
            try supervisor.add(spec)
        } catch {
            gateway.removeServer(spec.name)
            throw error
        }
    }

    /// Hosts the config file's `hosted` servers for this run (the file stays their source of truth:
    /// they are not stored, and a bad entry is logged without stopping the others).
    public func addFromConfig(_ entries: JSONObject) async {
        for (name, value) in entries {
            do {
                var body = value.objectValue ?? [:]
                body["name"] = .string(name)
                let spec = try await packages.install(try AdminAPI.spec(from: .object(body)))
                try register(spec)
                if body["start"]?.boolValue ?? true { try supervisor.start(name) }
            } catch {
                let message = (error as? AdminAPI.BadRequest)?.message ?? "\(error)"
                logger.error("a hosted server of the config file cannot run", metadata: ["hangar.server": "\(name)", "error": "\(message)"])
            }
        }
    }

    /// Adds a hosted server; returns its instance token (shown once) for `/i/NAME/mcp`.
    /// A PyPI server's package is installed first (its version pinned in the stored spec).
    public func add(_ spec: WorkloadSpec, start: Bool) async throws -> String {
        try spec.validate()
        if gateway.pool.upstream(named: spec.name) != nil {
            throw SupervisorError(.duplicateWorkload, "a server named \(spec.name) already exists (in the config file or hosted)", name: spec.name)
        }
        let spec = try await packages.install(spec)
        try register(spec)
        let now = WallClock.milliseconds()
        let expires = start ? spec.timeToLive.map { now + Int64($0.components.seconds * 1000) } : nil
        let prefix = "hi_" + APIKeyring.randomText(8)
        let token = prefix + "_" + APIKeyring.randomText(32)
        let digest = APIKeyring.digest(token)
        try await store.putWorkload(WorkloadRecord(name: spec.name, spec: try Self.encode(spec), running: start, expiresMs: expires,
                                                   tokenPrefix: prefix, tokenHash: digest, createdMs: now, updatedMs: now))
        tokens.withLock { $0[prefix] = (spec.name, digest) }
        if start { try supervisor.start(spec.name) }
        return token
    }

    /// The identity an instance token stands for: it opens only `/i/NAME/mcp`.
    public func authenticateInstance(_ token: String) -> Identity? {
        guard token.utf8.count == 3 + 8 + 1 + 32 else { return nil }
        guard let entry = tokens.withLock({ $0[String(token.prefix(11))] }), APIKeyring.matches(token, digest: entry.digest) else { return nil }
        return Identity(kind: .instance, id: entry.server, role: .user)
    }

    public func start(_ name: String) async throws { try await setRunning(name, true) { try self.supervisor.start(name) } }
    public func stop(_ name: String) async throws { try await setRunning(name, false) { try self.supervisor.stop(name) } }
    public func restart(_ name: String) async throws { try await setRunning(name, true) { try self.supervisor.restart(name) } }
    public func restoreInstance(_ name: String) async throws { try await setRunning(name, true, renewExpiry: true) { try self.supervisor.restore(name) } }

    /// Stops and removes a hosted server; returns once its process is gone (a name can be
    /// reused at once).
    public func remove(_ name: String) async throws {
        let events = supervisor.events()
        let grace = (try? supervisor.spec(name).stopGrace) ?? .seconds(5)
        try supervisor.remove(name)
        _ = await withTimeout(grace + .seconds(5)) { () async -> Bool? in
            for await event in events where event.name == name && event.kind == .removed { return true }
            return nil
        }
        tokens.withLock { t in t = t.filter { $0.value.server != name } }
        gateway.removeServer(name)
        packages.remove(server: name)
        _ = try await store.deleteWorkload(named: name)
    }

    private func setRunning(_ name: String, _ running: Bool, renewExpiry: Bool = false, _ action: () throws -> Void) async throws {
        try action()
        guard var record = try await store.workload(named: name) else { return }
        record.running = running
        record.updatedMs = WallClock.milliseconds()
        if renewExpiry || (running && record.expiresMs == nil), let spec = try? supervisor.spec(name), let ttl = spec.timeToLive {
            record.expiresMs = record.updatedMs + Int64(ttl.components.seconds * 1000)
        }
        try await store.putWorkload(record)
    }

    /// Where each server's own folder lives. Its parents must be searchable by the servers'
    /// uids: `<dataDir>/servers` when they are (the data directory is then made 0711: others
    /// may pass through, not list or read), else `/var/lib/hangar/servers-<hash of dataDir>`.
    static func serversDirectory(dataDirectory: String) -> String {
        var path = ""
        var searchable = true
        for part in (dataDirectory as NSString).standardizingPath.split(separator: "/") {
            path += "/" + part
            var st = stat()
            guard stat(path, &st) == 0 else { break }
            if path == (dataDirectory as NSString).standardizingPath { break }
            if st.st_mode & 0o001 == 0 { searchable = false; break }
        }
        if searchable {
            chmod(dataDirectory, 0o711)
            let dir = dataDirectory + "/servers"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            chmod(dir, 0o711)
            return dir
        }
        var hash: UInt64 = 14695981039346656037
        for byte in dataDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        let dir = "/var/lib/hangar/servers-" + String(hash, radix: 16).prefix(12)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod("/var/lib/hangar", 0o711)
        chmod(dir, 0o711)
        return dir
    }

    static func encode(_ spec: WorkloadSpec) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(spec), as: UTF8.self)
    }
}
