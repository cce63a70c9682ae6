import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Hosts MCP servers as supervised processes: starts, stops and restarts them by their
/// lifecycle state machines, keeps their logs, measures them and expires them.
///
/// All background work (processes, timers, health checks, metrics) runs inside `run()`; call it
/// once (e.g. in a `ServiceGroup`). Requests made before `run()` starts are carried out once it
/// does. Ending `run()` (cancellation or graceful shutdown) terminates every child.
public final class Supervisor: Service, Sendable {
    let configuration: SupervisorConfiguration
    let launcher: any WorkloadLauncher
    let healthCheck: any HealthCheck
    let connector: any WorkloadConnector
    let logger: Logger
    let ports = PortAllocator()
    let timerWakeup = Wakeup()
    let state = Mutex(State())
    let jobs: AsyncStream<Job>
    let jobSink: AsyncStream<Job>.Continuation

    /// Work for `run()` to start.
    enum Job: Sendable {
        case launch(name: String)
        case terminate(name: String, grace: Duration)
        case healthCheck(name: String, timer: UInt64)
    }

    struct TimerKey: Hashable, Sendable {
        var name: String
        var kind: WorkloadStateMachine.TimerKind
    }

    struct PendingTimer: Sendable {
        var deadline: ContinuousClock.Instant
        var id: UInt64
    }

    struct Entry: Sendable {
        var spec: WorkloadSpec
        var machine: WorkloadStateMachine
        let log: WorkloadLog
        var process: (any LaunchedWorkload)?
        var port: Int?
        var startedAt: Date?
        var expiresAt: Date?
        var samples: [MetricsSample] = []
        var lastCPU: (time: Duration, at: ContinuousClock.Instant)?
        var isolation: String?
        /// The CPUs the running process may use, read when it started.
        var cpus: String?
        var removeWhenStopped = false
    }

    struct State: Sendable {
        var entries: [String: Entry] = [:]
        var timers: [TimerKey: PendingTimer] = [:]
        var subscribers: [Int: AsyncStream<WorkloadEvent>.Continuation] = [:]
        var nextSubscriber = 0
    }

    public init(
        configuration: SupervisorConfiguration = SupervisorConfiguration(),
        launcher: any WorkloadLauncher = ProcessLauncher(),
        healthCheck: any HealthCheck = ProcessAliveCheck(),
        connector: any WorkloadConnector = PortReadiness(),
        logger: Logger = Logger(label: "hangar.supervisor")
    ) {
        self.configuration = configuration
        self.launcher = launcher
        self.healthCheck = healthCheck
        self.connector = connector
        self.logger = logger
        (jobs, jobSink) = AsyncStream.makeStream(of: Job.self)
    }

    /// Folder of the log files, when logs are kept on disk.
    public var logDirectory: String? { configuration.dataDirectory.map { "\($0)/logs" } }

    // MARK: Requests

    /// Adds a workload (state `pending`); `start` launches it.
    public func add(_ spec: WorkloadSpec, start: Bool = false) throws(SupervisorError) {
        try spec.validate()
        if let directory = logDirectory {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw SupervisorError(.invalidState, "cannot create the log folder \(directory): \(error.localizedDescription)", name: spec.name)
            }
        }
        let limits = WorkloadLog.Limits(maxLines: configuration.logLines, maxBytes: configuration.logBytes,
                                        fileBytes: configuration.logFileBytes, rotatedFiles: configuration.logFiles)
        try state.withLock { (s: inout State) throws(SupervisorError) in
            guard s.entries[spec.name] == nil else {
                throw SupervisorError(.duplicateWorkload, "a workload with this name exists; remove it first", name: spec.name)
            }
            s.entries[spec.name] = Entry(
                spec: spec, machine: WorkloadStateMachine(configuration: .init(spec: spec)),
                log: WorkloadLog(name: spec.name, directory: logDirectory, limits: limits))
            publish(WorkloadEvent(name: spec.name, kind: .added, time: Date()), in: &s)
        }
        if start { try self.start(spec.name) }
    }

    /// Starts a pending, stopped, failed or expired workload (a failed one's crash history is forgotten).
    public func start(_ name: String) throws(SupervisorError) {
        try send(name, .startRequested)
    }

    /// Stops a workload; it is not restarted until started again.
    public func stop(_ name: String) throws(SupervisorError) {
        try send(name, .stopRequested)
    }

    /// Stops the workload's process and starts a new one (or starts it, if it is not running).
    public func restart(_ name: String) throws(SupervisorError) {
        try send(name, .restartRequested)
    }

    /// Starts an expired (or stopped, or failed) workload again with a fresh time to live.
    public func restore(_ name: String) throws(SupervisorError) {
        try send(name, .restoreRequested)
    }

    /// Starts a workload again after a daemon restart with its persisted expiry: it expires at
    /// `expiresAt` (at once if that has passed); nil starts it like `start`.
    public func resume(_ name: String, expiresAt: Date?) throws(SupervisorError) {
        guard let expiresAt else { return try send(name, .startRequested) }
        let remaining = expiresAt.timeIntervalSinceNow
        try send(name, .resumeRequested(remaining: remaining > 0 ? .nanoseconds(Int64(remaining * 1e9)) : .zero))
    }

    /// Stops the workload and forgets it once its process is gone. Its log files stay on disk.
    public func remove(_ name: String) throws(SupervisorError) {
        try send(name, .stopRequested, markRemoved: true)
    }

    /// The workload's current status.
    public func status(_ name: String) throws(SupervisorError) -> WorkloadSnapshot {
        let now = Date()
        return try state.withLock { (s: inout State) throws(SupervisorError) -> WorkloadSnapshot in
            guard let entry = s.entries[name] else { throw Self.unknown(name) }
            return Self.snapshot(name: name, entry, now: now)
        }
    }

    /// Every workload's status, sorted by name.
    public func list() -> [WorkloadSnapshot] {
        let now = Date()
        return state.withLock { s in
            s.entries.sorted { $0.key < $1.key }.map { Self.snapshot(name: $0.key, $0.value, now: now) }
        }
    }

    /// The spec a workload was added with.
    public func spec(_ name: String) throws(SupervisorError) -> WorkloadSpec {
        try entry(name).spec
    }

    /// Its running process's egress proxy counts (they start again with each process).
    public func egressCounts(_ name: String) -> EgressCounts? {
        state.withLock { $0.entries[name]?.process }?.egressCounts
    }

    /// The last `lines` lines of the workload's stderr.
    public func logs(_ name: String, lines: Int = 100) throws(SupervisorError) -> [String] {
        try entry(name).log.tail(lines)
    }

    /// The last `lines` lines of the workload's stderr, then each new line as it is written.
    /// Ends when the workload is removed or the consumer stops.
    public func followLogs(_ name: String, lines: Int = 10) throws(SupervisorError) -> AsyncStream<String> {
        try entry(name).log.follow(last: lines)
    }

    /// Path of the workload's current log file, when logs are kept on disk.
    public func logFile(_ name: String) throws(SupervisorError) -> String? {
        try entry(name).log.filePath
    }

    /// The resource samples kept for the workload, oldest first.
    public func stats(_ name: String) throws(SupervisorError) -> [MetricsSample] {
        try entry(name).samples
    }

    /// Every change of every workload from now on.
    public func events() -> AsyncStream<WorkloadEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: WorkloadEvent.self, bufferingPolicy: .bufferingNewest(1024))
        let id = state.withLock { s -> Int in
            defer { s.nextSubscriber += 1 }
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: Driving the state machine

    private func entry(_ name: String) throws(SupervisorError) -> Entry {
        guard let entry = state.withLock({ $0.entries[name] }) else { throw Self.unknown(name) }
        return entry
    }

    static func unknown(_ name: String) -> SupervisorError {
        SupervisorError(.unknownWorkload, "no workload has this name", name: name)
    }

    /// Feeds a request to the workload's state machine and carries out its actions.
    private func send(_ name: String, _ event: WorkloadStateMachine.Event, markRemoved: Bool = false) throws(SupervisorError) {
        let removed = try state.withLock { (s: inout State) throws(SupervisorError) -> WorkloadLog? in
            guard s.entries[name] != nil else { throw Self.unknown(name) }
            if markRemoved { s.entries[name]!.removeWhenStopped = true }
            return apply(name, event, in: &s)
        }
        removed?.finish()
    }

    /// Feeds what happened to a workload's process to its state machine (ignored if it was removed).
    func report(_ name: String, _ event: WorkloadStateMachine.Event) {
        let removed = state.withLock { s -> WorkloadLog? in
            guard s.entries[name] != nil else { return nil }
            return apply(name, event, in: &s)
        }
        removed?.finish()
    }

    /// Runs one event through the machine and executes the actions that need no waiting; the rest
    /// become jobs for `run()`. Returns the log of a workload that was removed, to be finished
    /// outside the lock.
    private func apply(_ name: String, _ event: WorkloadStateMachine.Event, in s: inout State) -> WorkloadLog? {
        guard var entry = s.entries[name] else { return nil }
        let now = ContinuousClock.now
        let actions = entry.machine.event(event, now: now, random: Double.random(in: 0..<1))
        var timersChanged = false
        for action in actions {
            switch action {
            case .launch:
                jobSink.yield(.launch(name: name))
            case .terminate(let grace):
                jobSink.yield(.terminate(name: name, grace: grace))
            case .scheduleBackoff(let delay, let id):
                s.timers[TimerKey(name: name, kind: .backoff)] = PendingTimer(deadline: now + delay, id: id)
                timersChanged = true
            case .scheduleHealthCheck(let delay, let id):
                s.timers[TimerKey(name: name, kind: .healthCheck)] = PendingTimer(deadline: now + delay, id: id)
                timersChanged = true
            case .scheduleExpiry(let delay, let id):
                s.timers[TimerKey(name: name, kind: .expiry)] = PendingTimer(deadline: now + delay, id: id)
                entry.expiresAt = Date().addingTimeInterval(delay.seconds)
                timersChanged = true
            case .cancelTimers(let kinds):
                for kind in kinds { s.timers[TimerKey(name: name, kind: kind)] = nil }
                timersChanged = true
            case .recordRestart(let total):
                logger.info("restarting workload", metadata: ["hangar.workload": "\(name)", "hangar.restarts": "\(total)"])
                publish(WorkloadEvent(name: name, kind: .restarted(total: total), time: Date(), detail: entry.machine.lastError), in: &s)
            case .reportStateChange(let from, let to):
                logger.info("workload state changed", metadata: [
                    "hangar.workload": "\(name)", "hangar.state": "\(to.rawValue)", "hangar.previous": "\(from.rawValue)",
                ])
                if to == .stopped || to == .failed { entry.expiresAt = nil }
                publish(WorkloadEvent(name: name, kind: .stateChanged(from: from, to: to), time: Date(),
                                      detail: entry.machine.lastError), in: &s)
            }
        }
        if timersChanged { timerWakeup.signal() }
        if entry.removeWhenStopped, entry.process == nil, !entry.machine.state.isActive {
            s.entries[name] = nil
            for kind in WorkloadStateMachine.TimerKind.allCases { s.timers[TimerKey(name: name, kind: kind)] = nil }
            publish(WorkloadEvent(name: name, kind: .removed, time: Date()), in: &s)
            return entry.log
        }
        s.entries[name] = entry
        return nil
    }

    func publish(_ event: WorkloadEvent, in s: inout State) {
        for subscriber in s.subscribers.values { subscriber.yield(event) }
    }

    static func snapshot(name: String, _ entry: Entry, now: Date) -> WorkloadSnapshot {
        let live = entry.process != nil
        let sample = live ? entry.samples.last : nil
        return WorkloadSnapshot(
            name: name, state: entry.machine.state, pid: entry.machine.pid, startedAt: live ? entry.startedAt : nil,
            uptime: live ? entry.startedAt.map { now.timeIntervalSince($0) } : nil,
            restarts: entry.machine.restarts, lastExit: entry.machine.lastExit, lastError: entry.machine.lastError,
            cpuPercent: sample?.cpuPercent, memoryBytes: sample?.memoryBytes, openFiles: sample?.openFiles,
            oomKills: entry.samples.last?.oomKills, isolation: entry.isolation, cpus: live ? entry.cpus : nil, port: live ? entry.port : nil,
            expiresAt: entry.expiresAt, logError: entry.log.fileError)
    }
}
