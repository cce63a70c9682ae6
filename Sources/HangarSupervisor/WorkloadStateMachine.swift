/// The lifecycle of one workload as a pure state machine: events in, actions out, no I/O and
/// no clock of its own, so every rule is tested with made-up instants. The supervisor feeds
/// it what happened (a launch, an exit, a timer) and executes the actions it returns.
///
/// Rules: a crash restarts the workload after an exponential, jittered delay; too many crashes
/// within the window park it in `failed` until started by hand; consecutive failed health
/// checks restart it; a requested stop always wins over a pending restart; expiry stops it
/// and marks it `expired`; start or restore brings a stopped, failed or expired one back.
public struct WorkloadStateMachine: Sendable {
    /// What the supervisor tells the machine.
    public enum Event: Sendable, Hashable {
        case startRequested
        case stopRequested
        case restartRequested
        case restoreRequested
        /// Start again after a daemon restart, keeping the instance's original expiry: it
        /// expires after `remaining` (at once if that is not positive).
        case resumeRequested(remaining: Duration)
        /// The launcher started the process.
        case launched(pid: Int32)
        /// The process could not be started, or did not become ready.
        case launchFailed(reason: String)
        /// The process is ready to serve (e.g. its MCP handshake succeeded).
        case ready
        case exited(WorkloadExit)
        case healthCheckPassed(timer: UInt64)
        case healthCheckFailed(timer: UInt64)
        case backoffElapsed(timer: UInt64)
        case expiryReached(timer: UInt64)
    }

    /// What the supervisor must do; executed in order.
    public enum Action: Sendable, Hashable {
        /// Start a new process.
        case launch
        /// SIGTERM, then SIGKILL after `grace`, to the process group.
        case terminate(grace: Duration)
        /// Send `.backoffElapsed(timer:)` after `delay`.
        case scheduleBackoff(delay: Duration, timer: UInt64)
        /// Run the health check after `delay` and report it with this timer id.
        case scheduleHealthCheck(delay: Duration, timer: UInt64)
        /// Send `.expiryReached(timer:)` after `delay`.
        case scheduleExpiry(delay: Duration, timer: UInt64)
        /// Drop these pending timers (late firings are ignored anyway).
        case cancelTimers(Set<TimerKind>)
        /// The workload is being started again; `total` restarts so far.
        case recordRestart(total: Int)
        case reportStateChange(from: WorkloadState, to: WorkloadState)
    }

    public enum TimerKind: Sendable, Hashable, CaseIterable {
        case backoff, healthCheck, expiry
    }

    /// The rules' parameters, taken from the workload's spec.
    public struct Configuration: Sendable, Hashable {
        public var restart: RestartPolicy
        public var health: HealthPolicy
        public var stopGrace: Duration
        public var timeToLive: Duration?

        public init(restart: RestartPolicy = RestartPolicy(), health: HealthPolicy = HealthPolicy(),
                    stopGrace: Duration = .seconds(5), timeToLive: Duration? = nil) {
            self.restart = restart
            self.health = health
            self.stopGrace = stopGrace
            self.timeToLive = timeToLive
        }

        public init(spec: WorkloadSpec) {
            self.init(restart: spec.restart, health: spec.health, stopGrace: spec.stopGrace, timeToLive: spec.timeToLive)
        }
    }

    /// What happens once a terminated process has exited.
    enum AfterExit: Hashable, Sendable {
        case stop, expire, start, restart
    }

    enum Phase: Hashable, Sendable {
        case pending
        /// Launch issued; `pid` once known; `then` records a stop/restart/expiry that arrived before the pid.
        case starting(pid: Int32?, then: AfterExit?)
        case running(pid: Int32)
        /// Being terminated because its health checks failed; restarts after the exit.
        case unhealthy(pid: Int32)
        case stopping(pid: Int32, then: AfterExit)
        case backoff
        case stopped, failed, expired
    }

    public let configuration: Configuration
    private(set) var phase: Phase = .pending
    /// Times of the crashes inside the crash-loop window.
    private(set) var recentCrashes: [ContinuousClock.Instant] = []
    private var healthFailures = 0
    private var nextTimer: UInt64 = 1
    private var timers: [TimerKind: UInt64] = [:]

    /// Restarts so far (after crashes, failed health checks or by request).
    public private(set) var restarts = 0
    public private(set) var lastExit: WorkloadExit?
    /// Why the workload last failed to start or stopped being restarted.
    public private(set) var lastError: String?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var state: WorkloadState {
        switch phase {
        case .pending: .pending
        case .starting: .starting
        case .running: .running
        case .unhealthy: .unhealthy
        case .stopping: .stopping
        case .backoff: .backoff
        case .stopped: .stopped
        case .failed: .failed
        case .expired: .expired
        }
    }

    /// The process id while one exists.
    public var pid: Int32? {
        switch phase {
        case .starting(let pid, _): pid
        case .running(let pid), .unhealthy(let pid), .stopping(let pid, _): pid
        case .pending, .backoff, .stopped, .failed, .expired: nil
        }
    }

    /// Applies one event. `random` is a fraction in 0..<1 that spreads the backoff delay (its
    /// jitter), passed in so that tests are deterministic.
    public mutating func event(_ event: Event, now: ContinuousClock.Instant, random: Double = 0.5) -> [Action] {
        let before = state
        var actions = apply(event, now: now, random: random)
        let after = state
        if before != after { actions.append(.reportStateChange(from: before, to: after)) }
        return actions
    }

    private mutating func apply(_ event: Event, now: ContinuousClock.Instant, random: Double) -> [Action] {
        switch event {
        case .startRequested: return requestStart(counting: false)
        case .restoreRequested: return requestStart(counting: false)
        case .resumeRequested(let remaining): return requestResume(remaining: remaining)
        case .restartRequested: return requestRestart()
        case .stopRequested: return requestStop()
        case .launched(let pid): return launched(pid: pid)
        case .launchFailed(let reason): return launchFailed(reason: reason, now: now, random: random)
        case .ready: return ready()
        case .exited(let exit): return exited(exit, now: now, random: random)
        case .healthCheckPassed(let timer): return healthChecked(passed: true, timer: timer)
        case .healthCheckFailed(let timer): return healthChecked(passed: false, timer: timer)
        case .backoffElapsed(let timer):
            guard case .backoff = phase, take(.backoff, timer) else { return [] }
            return launch(restart: true)
        case .expiryReached(let timer):
            guard take(.expiry, timer) else { return [] }
            return expire()
        }
    }

    // MARK: Requests

    private mutating func requestStart(counting: Bool) -> [Action] {
        switch phase {
        case .pending, .stopped, .failed, .expired:
            recentCrashes = []
            lastError = nil
            var actions = launch(restart: counting)
            actions += scheduleExpiry()
            return actions
        case .backoff:
            // Started by hand while waiting: go now, with a clean crash history.
            recentCrashes = []
            return [.cancelTimers([.backoff])] + launch(restart: true)
        case .starting(let pid, .some(let then)) where then == .stop || then == .expire:
            phase = .starting(pid: pid, then: .start)
            return scheduleExpiry()
        case .stopping(let pid, let then) where then == .stop || then == .expire:
            phase = .stopping(pid: pid, then: .start)
            return scheduleExpiry()
        case .starting, .running, .unhealthy, .stopping:
            return []
        }
    }

    private mutating func requestResume(remaining: Duration) -> [Action] {
        switch phase {
        case .pending, .stopped, .failed, .expired:
            guard remaining > .zero else {
                phase = .expired
                return cancelAll()
            }
            recentCrashes = []
            lastError = nil
            return launch(restart: false) + [.scheduleExpiry(delay: remaining, timer: newTimer(.expiry))]
        case .starting, .running, .unhealthy, .stopping, .backoff:
            return []
        }
    }

    private mutating func requestRestart() -> [Action] {
        switch phase {
        case .pending, .stopped, .failed, .expired, .backoff:
            return requestStart(counting: true)
        case .starting(nil, _):
            phase = .starting(pid: nil, then: .restart)
            return []
        case .starting(.some(let pid), _), .running(let pid):
            phase = .stopping(pid: pid, then: .restart)
            return [.cancelTimers([.healthCheck]), .terminate(grace: configuration.stopGrace)]
        case .unhealthy:
            return []
        case .stopping(let pid, _):
            phase = .stopping(pid: pid, then: .restart)
            return []
        }
    }

    private mutating func requestStop() -> [Action] {
        let cancel = Action.cancelTimers(Set(TimerKind.allCases))
        timers = [:]
        switch phase {
        case .pending, .failed, .backoff:
            phase = .stopped
            return [cancel]
        case .stopped, .expired:
            return []
        case .starting(nil, _):
            phase = .starting(pid: nil, then: .stop)
            return [cancel]
        case .starting(.some(let pid), _), .running(let pid):
            phase = .stopping(pid: pid, then: .stop)
            return [cancel, .terminate(grace: configuration.stopGrace)]
        case .unhealthy(let pid), .stopping(let pid, _):
            // Already being terminated: only what happens after the exit changes.
            phase = .stopping(pid: pid, then: .stop)
            return [cancel]
        }
    }

    private mutating func expire() -> [Action] {
        let cancel = Action.cancelTimers([.backoff, .healthCheck])
        timers[.backoff] = nil
        timers[.healthCheck] = nil
        switch phase {
        case .pending, .stopped, .failed, .backoff:
            phase = .expired
            return [cancel]
        case .expired:
            return []
        case .starting(nil, _):
            phase = .starting(pid: nil, then: .expire)
            return [cancel]
        case .starting(.some(let pid), _), .running(let pid):
            phase = .stopping(pid: pid, then: .expire)
            return [cancel, .terminate(grace: configuration.stopGrace)]
        case .unhealthy(let pid), .stopping(let pid, _):
            phase = .stopping(pid: pid, then: .expire)
            return [cancel]
        }
    }

    // MARK: What happened to the process

    private mutating func launched(pid: Int32) -> [Action] {
        guard case .starting(nil, let then) = phase else { return [] }
        switch then {
        case nil:
            phase = .starting(pid: pid, then: nil)
            return []
        case .stop, .expire, .restart:
            phase = .stopping(pid: pid, then: then!)
            return [.terminate(grace: configuration.stopGrace)]
        case .start:
            phase = .starting(pid: pid, then: nil)
            return []
        }
    }

    private mutating func launchFailed(reason: String, now: ContinuousClock.Instant, random: Double) -> [Action] {
        switch phase {
        case .starting(nil, let then):
            lastError = reason
            switch then {
            case .stop: phase = .stopped; return []
            case .expire: phase = .expired; return []
            case .start: return launch(restart: false)
            case .restart: return launch(restart: true)
            case nil: return crashed(now: now, random: random, alwaysRestart: true)
            }
        case .starting(.some(let pid), _):
            // Launched but never ready: kill it; its exit then counts as the crash.
            lastError = reason
            phase = .unhealthy(pid: pid)
            return [.terminate(grace: configuration.stopGrace)]
        default:
            return []
        }
    }

    private mutating func ready() -> [Action] {
        guard case .starting(.some(let pid), nil) = phase else { return [] }
        phase = .running(pid: pid)
        healthFailures = 0
        lastError = nil
        return scheduleHealthCheck()
    }

    private mutating func exited(_ exit: WorkloadExit, now: ContinuousClock.Instant, random: Double) -> [Action] {
        switch phase {
        case .starting(.some, _), .running:
            lastExit = exit
            lastError = state == .starting ? "\(exit) before it was ready" : "\(exit)"
            return [.cancelTimers([.healthCheck])] + crashed(now: now, random: random, alwaysRestart: !exit.isSuccess)
        case .unhealthy:
            lastExit = exit
            return crashed(now: now, random: random, alwaysRestart: true)
        case .stopping(_, let then):
            lastExit = exit
            switch then {
            case .stop: phase = .stopped; return []
            case .expire:
                phase = .expired
                timers[.expiry] = nil
                return [.cancelTimers([.expiry])]
            case .start: return launch(restart: false)
            case .restart: return launch(restart: true)
            }
        case .pending, .starting(nil, _), .backoff, .stopped, .failed, .expired:
            return []
        }
    }

    private mutating func healthChecked(passed: Bool, timer: UInt64) -> [Action] {
        guard case .running(let pid) = phase, take(.healthCheck, timer) else { return [] }
        if passed {
            healthFailures = 0
            return scheduleHealthCheck()
        }
        healthFailures += 1
        guard healthFailures >= configuration.health.failureThreshold else { return scheduleHealthCheck() }
        lastError = "\(healthFailures) consecutive health checks failed"
        phase = .unhealthy(pid: pid)
        return [.terminate(grace: configuration.stopGrace)]
    }

    // MARK: Helpers

    /// An unrequested end of the process: restart after a delay, or park the workload.
    /// `alwaysRestart` is false for a clean exit, which `on-failure` does not restart.
    private mutating func crashed(now: ContinuousClock.Instant, random: Double, alwaysRestart: Bool) -> [Action] {
        let policy = configuration.restart
        switch policy.mode {
        case .never:
            phase = alwaysRestart ? .failed : .stopped
            return cancelAll()
        case .onFailure where !alwaysRestart:
            phase = .stopped
            return cancelAll()
        case .always, .onFailure:
            break
        }
        recentCrashes.append(now)
        recentCrashes.removeAll { $0.duration(to: now) >= policy.crashLoopWindow }
        if recentCrashes.count >= policy.crashLoopLimit {
            let window = Int(policy.crashLoopWindow.seconds.rounded())
            lastError = "crashed \(recentCrashes.count) times within \(window) s\(lastError.map { " (last: \($0))" } ?? ""); start it by hand"
            phase = .failed
            return cancelAll()
        }
        let delay = backoffDelay(crashes: recentCrashes.count, random: random)
        phase = .backoff
        let id = newTimer(.backoff)
        return [.scheduleBackoff(delay: delay, timer: id)]
    }

    /// `initial * 2^(crashes-1)`, capped, spread by ±jitter.
    func backoffDelay(crashes: Int, random: Double) -> Duration {
        let policy = configuration.restart
        let doublings = min(max(crashes - 1, 0), 30)
        let base = min(policy.initialBackoff.seconds * Double(1 << doublings), policy.maximumBackoff.seconds)
        let r = min(max(random, 0), 1)
        let spread = base * (1 - policy.jitter + 2 * policy.jitter * r)
        return .nanoseconds(Int64((spread * 1e9).rounded()))
    }

    private mutating func launch(restart: Bool) -> [Action] {
        phase = .starting(pid: nil, then: nil)
        healthFailures = 0
        guard restart else { return [.launch] }
        restarts += 1
        return [.recordRestart(total: restarts), .launch]
    }

    private mutating func scheduleHealthCheck() -> [Action] {
        guard let interval = configuration.health.interval else { return [] }
        return [.scheduleHealthCheck(delay: interval, timer: newTimer(.healthCheck))]
    }

    private mutating func scheduleExpiry() -> [Action] {
        guard let ttl = configuration.timeToLive else { return [] }
        return [.scheduleExpiry(delay: ttl, timer: newTimer(.expiry))]
    }

    private mutating func cancelAll() -> [Action] {
        timers = [:]
        return [.cancelTimers(Set(TimerKind.allCases))]
    }

    private mutating func newTimer(_ kind: TimerKind) -> UInt64 {
        defer { nextTimer += 1 }
        timers[kind] = nextTimer
        return nextTimer
    }

    /// True (and the timer is used up) when `id` is the live timer of that kind.
    private mutating func take(_ kind: TimerKind, _ id: UInt64) -> Bool {
        guard timers[kind] == id else { return false }
        timers[kind] = nil
        return true
    }
}
