import CHangarSystem
import HangarCore
import Foundation
import Synchronization

/// What to start: an executable, its arguments, environment and folder.
public struct ProcessSpec: Sendable, Hashable {
    public var command: String
    public var arguments: [String]
    /// The complete environment of the child (nothing is inherited implicitly).
    public var environment: [String: String]
    public var workingDirectory: String?
    /// Descriptors handed to the child at chosen numbers (3 or more), open across exec.
    public var inheritedDescriptors: [InheritedDescriptor] = []
    /// `cgroup.procs` files the child writes its pid into before exec (it fails to start otherwise).
    public var cgroupProcFiles: [String] = []
    /// Resource limits set in the child before exec.
    public var resourceLimits: [ResourceLimit] = []
    /// CPUs the child may run on (set before exec); nil: ``CPUAffinity/childCPUs``, or else
    /// the spawning thread's.
    public var cpus: [Int]?
    /// Whether the child's threads are kept on one CPU of those (see ``CPUPlacement``; `auto` is
    /// decided on the resolved executable); nil: anywhere in them. Servers are started with
    /// ``CPUAffinity/serverPlacement`` unless their config says otherwise; helpers (pip, probes)
    /// are left to the kernel.
    public var placement: CPUPlacement?

    /// A descriptor of the parent that the child receives as `target`.
    public struct InheritedDescriptor: Sendable, Hashable {
        public var source: Int32
        public var target: Int32
        public init(source: Int32, target: Int32) {
            self.source = source
            self.target = target
        }
    }

    /// One rlimit, soft and hard set to the same value.
    public struct ResourceLimit: Sendable, Hashable {
        public enum Resource: Sendable, Hashable {
            case openFiles, fileSize, coreSize, addressSpace, processes, cpuSeconds
            /// Linux's RLIMIT_* numbers (the same on x86_64 and aarch64).
            var rawValue: Int32 {
                switch self {
                case .cpuSeconds: 0
                case .fileSize: 1
                case .coreSize: 4
                case .processes: 6
                case .openFiles: 7
                case .addressSpace: 9
                }
            }
        }
        public var resource: Resource
        public var value: UInt64
        public init(_ resource: Resource, _ value: UInt64) {
            self.resource = resource
            self.value = value
        }
    }

    public init(command: String, arguments: [String] = [], environment: [String: String], workingDirectory: String? = nil) {
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The command resolved against the child's PATH (or the daemon's when the child has none).
    /// A relative path with a slash is taken from `workingDirectory`, as the child would see it.
    public func resolvedExecutable() -> String? {
        if command.contains("/") {
            let path = command.hasPrefix("/") || workingDirectory == nil ? command : "\(workingDirectory!)/\(command)"
            return Self.isRunnable(path) ? path : nil
        }
        let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(command)"
            if Self.isRunnable(candidate) { return candidate }
        }
        return nil
    }

    /// A regular file with an execute bit (root passes access(X_OK) for any file with one, and for folders).
    private static func isRunnable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return info.st_mode & 0o111 != 0
    }
}

/// Why a child process could not be started.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public let command: String
    public let errno: Int32
    public var description: String {
        "cannot start '\(command)': \(String(cString: strerror(errno)))"
    }
}

/// A child process in its own process group whose pipes are owned by the caller. The kernel
/// kills it (SIGKILL) if the daemon dies, so a killed daemon leaves no orphans.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// Write end of the child's stdin.
    public let stdinFD: Int32
    /// Read end of the child's stdout.
    public let stdoutFD: Int32
    /// Read end of the child's stderr.
    public let stderrFD: Int32

    private struct ExitState {
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiter = 0
    }
    private let exitState = Mutex(ExitState())
    /// The CPU the child was placed on alone (``CPUPlacement/oneCPU``), given back when it ends.
    public let heldCPU: Int?

    private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, heldCPU: Int?) {
        self.pid = pid
        self.heldCPU = heldCPU
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
    }

    /// Starts the process. Spawning happens on one long-lived thread, because the kernel's
    /// parent-death signal follows the thread that forked, not the process.
    public static func spawn(_ spec: ProcessSpec) async throws -> ChildProcess {
        try await SpawnThread.shared.run { try spawnNow(spec) }
    }

    private static func spawnNow(_ spec: ProcessSpec) throws -> ChildProcess {
        guard let executable = spec.resolvedExecutable() else { throw SpawnError(command: spec.command, errno: ENOENT) }
        let allowed = spec.cpus ?? CPUAffinity.childCPUs
        if spec.placement?.resolved(executable: executable) == .oneCPU, let cpu = CPUAffinity.claim(among: allowed ?? CPUAffinity.available) {
            do {
                return try spawnNow(spec, executable: executable, cpus: [cpu], heldCPU: cpu)
            } catch {
                CPUAffinity.release(cpu)
                // The kernel refused that one CPU (taken offline since Hangar started): anywhere in the list.
                guard let refused = error as? SpawnError, refused.errno == EINVAL else { throw error }
            }
        }
        return try spawnNow(spec, executable: executable, cpus: allowed ?? [], heldCPU: nil)
    }

    /// Starts `executable` (the spec's command, resolved) on `cpus` (empty: the spawning
    /// thread's); `heldCPU`, claimed for it, is given back when it ends.
    private static func spawnNow(_ spec: ProcessSpec, executable: String, cpus placed: [Int], heldCPU: Int?) throws -> ChildProcess {
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        guard hangar_pipe(&stdinPipe) == 0 else { throw SpawnError(command: spec.command, errno: errno) }
        guard hangar_pipe(&stdoutPipe) == 0 else {
            close(stdinPipe[0]); close(stdinPipe[1])
            throw SpawnError(command: spec.command, errno: errno)
        }
        guard hangar_pipe(&stderrPipe) == 0 else {
            for fd in stdinPipe + stdoutPipe { close(fd) }
            throw SpawnError(command: spec.command, errno: errno)
        }
        // argv[0] is the command as written: a venv's python finds its venv through it.
        let argv = [spec.command] + spec.arguments
        let envp = spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let sources = spec.inheritedDescriptors.map(\.source), targets = spec.inheritedDescriptors.map(\.target)
        let limitResources = spec.resourceLimits.map { $0.resource.rawValue }
        let limitValues = spec.resourceLimits.map { CUnsignedLongLong($0.value) }
        let cpus = placed.map(Int32.init)
        let result = withCStrings(argv) { argvPtr in
            withCStrings(envp) { envPtr in
                withCStrings(spec.cgroupProcFiles) { cgroupPtr in
                    sources.withUnsafeBufferPointer { src in
                        targets.withUnsafeBufferPointer { dst in
                            limitResources.withUnsafeBufferPointer { res in
                                limitValues.withUnsafeBufferPointer { val in
                                    cpus.withUnsafeBufferPointer { cpu in
                                        var extra = hangar_spawn_extra(
                                            fd_sources: src.baseAddress, fd_targets: dst.baseAddress, fd_count: Int32(src.count),
                                            cgroup_procs: UnsafeRawPointer(cgroupPtr).assumingMemoryBound(to: UnsafePointer<CChar>?.self),
                                            cgroup_count: Int32(spec.cgroupProcFiles.count),
                                            rlimit_resources: res.baseAddress, rlimit_values: val.baseAddress,
                                            rlimit_count: Int32(res.count), cpus: cpu.baseAddress, cpu_count: Int32(cpu.count))
                                        return hangar_spawn_ex(executable, argvPtr, envPtr, spec.workingDirectory, stdinPipe[0],
                                                               stdoutPipe[1], stderrPipe[1],
                                                               HANGAR_SPAWN_NEW_PGROUP | HANGAR_SPAWN_DIE_WITH_PARENT, &extra, &pid)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        if result != 0 {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
            throw SpawnError(command: spec.command, errno: result)
        }
        let child = ChildProcess(pid: pid, stdinFD: stdinPipe[1], stdoutFD: stdoutPipe[0], stderrFD: stderrPipe[0], heldCPU: heldCPU)
        child.startReaper()
        return child
    }

    private func startReaper() {
        let thread = Thread { [self] in
            let status = hangar_wait(pid)
            let code = status < 0 ? -1 : hangar_exit_code(status)
            if let heldCPU { CPUAffinity.release(heldCPU) }
            let waiters = exitState.withLock { state -> [CheckedContinuation<Int32?, Never>] in
                state.status = code
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for w in waiters { w.resume(returning: code) }
        }
        thread.name = "hangar-reaper-\(pid)"
        thread.stackSize = 64 << 10
        thread.start()
    }

    /// The exit code (negative: killed by that signal), or nil while it runs.
    public var exitCode: Int32? { exitState.withLock { $0.status } }

    /// Waits for the process to exit; returns its exit code (negative: the signal).
    /// If the waiting task is cancelled first, returns -1 without waiting.
    public func waitForExit() async -> Int32 {
        await exitStatus() ?? -1
    }

    /// Waits at most `timeout` for the process to exit; nil if it is still running.
    public func waitForExit(timeout: Duration) async -> Int32? {
        await withTimeout(timeout) { await self.exitStatus() } ?? exitCode
    }

    private func exitStatus() async -> Int32? {
        let id = exitState.withLock { s -> Int in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
                let done = exitState.withLock { state -> Int32?? in
                    if let s = state.status { return .some(s) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let done { continuation.resume(returning: done) }
            }
        } onCancel: {
            exitState.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    /// Sends a signal to the whole process group, including what the leader left behind
    /// after it exited (a group id is not reused while any member lives).
    public func signalGroup(_ signal: Int32) {
        kill(-pid, signal)
    }

    /// SIGTERM to the group, then SIGKILL after `grace` if the leader is still running;
    /// anything left in the group is killed either way.
    /// The sequence runs in its own task, awaited here, so a caller that is being cancelled
    /// (a daemon shutting down) still gives the child its grace period.
    public func terminate(grace: Duration = .seconds(2)) async {
        await Task { [self] in
            if exitCode == nil {
                signalGroup(SIGTERM)
                if await waitForExit(timeout: grace) == nil {
                    signalGroup(SIGKILL)
                    _ = await exitStatus()
                }
            }
            signalGroup(SIGKILL)
        }.value
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// One thread that lives as long as the daemon and does every fork.
final class SpawnThread: @unchecked Sendable {
    // @unchecked: `jobs` is only touched under `condition`'s lock.
    static let shared = SpawnThread()
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "hangar-spawn"
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            jobs.append { continuation.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }
}
