import Foundation
import HangarTransport

/// What to run for one workload, and inside which walls.
public struct SandboxSpec: Sendable, Hashable {
    /// Names the workload in cgroups, logs and `hangar ps`: letters, digits, `.`, `_`, `-`; at most 64.
    public var workloadID: String
    /// The command as the sandbox sees it (`["/srv/venv/bin/python", "server.py"]`).
    public var command: [String]
    /// Only what the server declares; PATH, HOME and the proxy variables are added.
    public var environment: [String: String]
    /// The server's own folder on the host: the only writable place, seen as `/srv`.
    public var serverDirectory: String
    /// Host folders the server may read (a venv, a runtime), at the given path inside.
    public var readOnlyBinds: [ReadOnlyBind]
    public var limits: ResourceLimits
    public var network: NetworkPolicy
    /// The host uid (and gid) the sandbox runs as; nil: one from `WorkloadUIDPool.shared`.
    public var uid: uid_t?
    /// The PATH inside; the default covers /usr/local/bin and /usr/bin.
    public var path: String
    /// The server listens on its own loopback (an HTTP server, reached through a `PortBridge`):
    /// inet sockets are allowed; its network namespace still has nothing but loopback.
    public var servesLoopback = false
    /// Where the command starts (a read-only bind, e.g. an uploaded package's folder); nil: /srv.
    public var workingDirectory: String?
    /// Whether the sandbox's processes are kept on one CPU (``CPUPlacement``); nil: anywhere.
    public var placement: CPUPlacement?

    public init(
        workloadID: String, command: [String], environment: [String: String] = [:], serverDirectory: String,
        readOnlyBinds: [ReadOnlyBind] = [], limits: ResourceLimits = ResourceLimits(), network: NetworkPolicy = .none,
        uid: uid_t? = nil, path: String = "/usr/local/bin:/usr/bin:/bin"
    ) {
        self.workloadID = workloadID
        self.command = command
        self.environment = environment
        self.serverDirectory = serverDirectory
        self.readOnlyBinds = readOnlyBinds
        self.limits = limits
        self.network = network
        self.uid = uid
        self.path = path
    }
}

/// A host folder mounted read-only inside the sandbox.
public struct ReadOnlyBind: Sendable, Hashable {
    public var host: String
    public var inside: String
    public init(host: String, inside: String) {
        self.host = host
        self.inside = inside
    }
}

/// Bounds on what one workload may use; nil means no bound of that kind.
public struct ResourceLimits: Sendable, Hashable {
    /// Memory including swap (cgroup).
    public var memoryBytes: UInt64?
    /// CPU time as a share of cores, e.g. 0.5 (cgroup quota per 100 ms period).
    public var cpuCores: Double?
    /// Processes and threads together (cgroup pids).
    public var maxProcesses: Int?
    /// Open descriptors per process (rlimit).
    public var openFiles: UInt64?
    /// Largest file a process may write (rlimit).
    public var fileSizeBytes: UInt64?

    public init(memoryBytes: UInt64? = nil, cpuCores: Double? = nil, maxProcesses: Int? = nil,
                openFiles: UInt64? = nil, fileSizeBytes: UInt64? = nil) {
        self.memoryBytes = memoryBytes
        self.cpuCores = cpuCores
        self.maxProcesses = maxProcesses
        self.openFiles = openFiles
        self.fileSizeBytes = fileSizeBytes
    }
}

/// What the sandbox may reach over the network.
public enum NetworkPolicy: Sendable, Hashable {
    /// Only its own loopback; inet sockets are refused.
    case none
    /// Only these domains (exact names or `*.example.com`), through Hangar's egress proxy.
    case allowDomains([String])
}

extension SandboxSpec {
    /// Checks the request before anything is created; throws a precise `SandboxError`.
    public func validate() throws {
        let idChars = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !workloadID.isEmpty, workloadID.count <= 64, workloadID != ".", workloadID != "..",
              workloadID.unicodeScalars.allSatisfy(idChars.contains)
        else { throw SandboxError(.invalidSpec, "workload id must be 1-64 of [A-Za-z0-9._-]", detail: workloadID) }
        guard let first = command.first, !first.isEmpty else { throw SandboxError(.invalidSpec, "the command is empty") }
        guard serverDirectory.hasPrefix("/") else {
            throw SandboxError(.invalidSpec, "the server folder must be an absolute path", detail: serverDirectory)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: serverDirectory, isDirectory: &isDir), isDir.boolValue else {
            throw SandboxError(.invalidSpec, "the server folder does not exist", detail: serverDirectory)
        }
        for bind in readOnlyBinds {
            guard bind.host.hasPrefix("/"), bind.inside.hasPrefix("/"), !bind.inside.split(separator: "/").contains("..")
            else { throw SandboxError(.invalidSpec, "read-only binds need absolute paths without '..'", detail: "\(bind)") }
            guard FileManager.default.fileExists(atPath: bind.host) else {
                throw SandboxError(.invalidSpec, "a read-only bind's host path does not exist", detail: bind.host)
            }
        }
        for (key, value) in environment {
            guard !key.isEmpty, !key.contains("="), !key.contains("\0"), !value.contains("\0") else {
                throw SandboxError(.invalidSpec, "environment names must be non-empty, without '=' or NUL", detail: key)
            }
        }
        if let cores = limits.cpuCores, !(cores > 0 && cores <= 1024) {
            throw SandboxError(.invalidSpec, "cpuCores must be in (0, 1024]", detail: "\(cores)")
        }
        if let n = limits.maxProcesses, n < 1 { throw SandboxError(.invalidSpec, "maxProcesses must be at least 1") }
        if let m = limits.memoryBytes, m < 4 << 20 { throw SandboxError(.invalidSpec, "memoryBytes must be at least 4 MiB") }
        if let n = limits.openFiles, n < 16 { throw SandboxError(.invalidSpec, "openFiles must be at least 16") }
        if case .allowDomains(let domains) = network {
            for domain in domains where DomainAllowlist.Pattern(domain) == nil {
                throw SandboxError(.invalidSpec, "not a domain name or *.wildcard", detail: domain)
            }
        }
        if let uid, uid == 0 { throw SandboxError(.invalidSpec, "a sandbox never runs as uid 0") }
    }
}
