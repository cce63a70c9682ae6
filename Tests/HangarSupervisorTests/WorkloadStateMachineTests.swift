import Testing
@testable import HangarSupervisor

/// A state machine driven by a made-up clock.
struct MachineHarness {
    var machine: WorkloadStateMachine
    let origin = ContinuousClock.now
    var elapsed: Duration = .zero

    init(restart: RestartPolicy = RestartPolicy(initialBackoff: .seconds(1), maximumBackoff: .seconds(30), jitter: 0),
         health: HealthPolicy = HealthPolicy(interval: .seconds(10), failureThreshold: 3),
         timeToLive: Duration? = nil) {
        machine = WorkloadStateMachine(configuration: .init(restart: restart, health: health, stopGrace: .seconds(5), timeToLive: timeToLive))
    }

    var state: WorkloadState { machine.state }

    mutating func send(_ event: WorkloadStateMachine.Event, random: Double = 0.5) -> [WorkloadStateMachine.Action] {
        machine.event(event, now: origin + elapsed, random: random)
    }

    mutating func advance(_ duration: Duration) {
        elapsed += duration
    }

    /// Starts the workload and brings it to `running` with this pid; returns the health timer id.
    @discardableResult
    mutating func bringUp(pid: Int32 = 100) -> UInt64? {
        _ = send(.startRequested)
        _ = send(.launched(pid: pid))
        return Self.healthTimer(in: send(.ready))
    }

    static func healthTimer(in actions: [WorkloadStateMachine.Action]) -> UInt64? {
        for case .scheduleHealthCheck(_, let id) in actions { return id }
        return nil
    }

    static func backoff(in actions: [WorkloadStateMachine.Action]) -> (Duration, UInt64)? {
        for case .scheduleBackoff(let delay, let id) in actions { return (delay, id) }
        return nil
    }

    static func expiry(in actions: [WorkloadStateMachine.Action]) -> UInt64? {
        for case .scheduleExpiry(_, let id) in actions { return id }
        return nil
    }
}

@Suite("WorkloadStateMachine")
struct WorkloadStateMachineTests {
    @Test("start, launch and ready bring a workload to running with a health check scheduled")
    func startToRunning() {
        var h = MachineHarness()
        #expect(h.state == .pending)
        #expect(h.send(.startRequested) == [.launch, .reportStateChange(from: .pending, to: .starting)])
        #expect(h.send(.launched(pid: 42)) == [])
        #expect(h.machine.pid == 42)
        let ready = h.send(.ready)
        #expect(ready.contains(.reportStateChange(from: .starting, to: .running)))
        #expect(ready.contains { if case .scheduleHealthCheck(.seconds(10), _) = $0 { true } else { false } })
        #expect(h.state == .running)
        #expect(h.send(.startRequested) == [], "starting a running workload does nothing")
    }

    @Test("a crashing workload restarts after doubling delays and is parked in failed by the crash-loop guard")
    func crashLoop() {
        var h = MachineHarness()
        h.bringUp()
        var delays: [Duration] = []
        for attempt in 1...5 {
            let actions = h.send(.exited(.exited(code: 3)))
            if attempt < 5 {
                let (delay, id) = try! #require(MachineHarness.backoff(in: actions))
                delays.append(delay)
                #expect(h.state == .backoff)
                h.advance(delay)
                let relaunch = h.send(.backoffElapsed(timer: id))
                #expect(relaunch.contains(.recordRestart(total: attempt)))
                #expect(relaunch.contains(.launch))
                _ = h.send(.launched(pid: Int32(100 + attempt)))
                _ = h.send(.ready)
            } else {
                #expect(actions.contains(.cancelTimers(Set(WorkloadStateMachine.TimerKind.allCases))))
                #expect(actions.contains(.reportStateChange(from: .running, to: .failed)))
            }
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
        #expect(h.state == .failed)
        #expect(h.machine.restarts == 4)
        #expect(h.machine.lastExit == .exited(code: 3))
        #expect(h.machine.lastError?.contains("crashed 5 times within 60 s") == true)
        #expect(h.send(.backoffElapsed(timer: 1)) == [], "a failed workload waits for a start by hand")
    }

    @Test("crashes that fall out of the window no longer count toward the guard")
    func guardWindowSlides() {
        var h = MachineHarness()
        h.bringUp()
        // A crash every 20 s: at most 3 crashes are ever within 60 s, so it never fails.
        for round in 1...10 {
            let actions = h.send(.exited(.killed(signal: 9)))
            let (delay, id) = try! #require(MachineHarness.backoff(in: actions), "round \(round)")
            #expect(delay <= .seconds(4))
            h.advance(.seconds(20))
            _ = h.send(.backoffElapsed(timer: id))
            _ = h.send(.launched(pid: 200))
            _ = h.send(.ready)
        }
        #expect(h.state == .running)
        #expect(h.machine.recentCrashes.count == 3)
        // Five quick crashes do trip it.
        h.advance(.seconds(60))
        for _ in 1...4 {
            let actions = h.send(.exited(.exited(code: 1)))
            let (_, id) = try! #require(MachineHarness.backoff(in: actions))
            h.advance(.seconds(1))
            _ = h.send(.backoffElapsed(timer: id))
            _ = h.send(.launched(pid: 201))
        }
        _ = h.send(.exited(.exited(code: 1)))
        #expect(h.state == .failed)
    }

    @Test("jitter spreads the delay by the random fraction", arguments: [(0.0, 800), (0.5, 1000), (1.0, 1200)])
    func jitter(random: Double, milliseconds: Int) {
        var h = MachineHarness(restart: RestartPolicy(initialBackoff: .seconds(1), jitter: 0.2))
        h.bringUp()
        let actions = h.send(.exited(.exited(code: 1)), random: random)
        let (delay, _) = try! #require(MachineHarness.backoff(in: actions))
        #expect(delay == .milliseconds(milliseconds))
    }

    @Test("delays stop growing at the maximum backoff")
    func maximumBackoff() {
        let machine = WorkloadStateMachine(configuration: .init(restart: RestartPolicy(
            initialBackoff: .seconds(1), maximumBackoff: .seconds(5), jitter: 0, crashLoopLimit: 100)))
        #expect(machine.backoffDelay(crashes: 1, random: 0.5) == .seconds(1))
        #expect(machine.backoffDelay(crashes: 3, random: 0.5) == .seconds(4))
        #expect(machine.backoffDelay(crashes: 4, random: 0.5) == .seconds(5))
        #expect(machine.backoffDelay(crashes: 90, random: 0.5) == .seconds(5))
    }

    @Test("a stop during backoff stays stopped: the pending restart is dropped")
    func stopDuringBackoff() {
        var h = MachineHarness()
        h.bringUp()
        let actions = h.send(.exited(.exited(code: 2)))
        let (_, id) = try! #require(MachineHarness.backoff(in: actions))
        let stop = h.send(.stopRequested)
        #expect(stop.contains(.cancelTimers(Set(WorkloadStateMachine.TimerKind.allCases))))
        #expect(stop.contains(.reportStateChange(from: .backoff, to: .stopped)))
        #expect(h.send(.backoffElapsed(timer: id)) == [])
        #expect(h.state == .stopped)
    }

    @Test("an exit during a stop ends in stopped, never a restart")
    func exitDuringStop() {
        var h = MachineHarness()
        h.bringUp(pid: 9)
        let stop = h.send(.stopRequested)
        #expect(stop.contains(.terminate(grace: .seconds(5))))
        #expect(h.state == .stopping)
        #expect(h.send(.stopRequested).contains(.terminate(grace: .seconds(5))) == false, "no second terminate")
        let exit = h.send(.exited(.killed(signal: 15)))
        #expect(exit == [.reportStateChange(from: .stopping, to: .stopped)])
        #expect(h.machine.lastExit == .killed(signal: 15))
        #expect(h.machine.restarts == 0)
    }

    @Test("a stop before the pid is known terminates the process as soon as it is launched")
    func stopBeforeLaunched() {
        var h = MachineHarness()
        _ = h.send(.startRequested)
        _ = h.send(.stopRequested)
        #expect(h.state == .starting)
        #expect(h.send(.launched(pid: 7)).contains(.terminate(grace: .seconds(5))))
        #expect(h.send(.ready) == [], "ready after a stop is ignored")
        _ = h.send(.exited(.killed(signal: 15)))
        #expect(h.state == .stopped)
    }

    @Test("a stop while the launch fails ends stopped, not in backoff")
    func stopThenLaunchFails() {
        var h = MachineHarness()
        _ = h.send(.startRequested)
        _ = h.send(.stopRequested)
        #expect(h.send(.launchFailed(reason: "no such file")) == [.reportStateChange(from: .starting, to: .stopped)])
    }

    @Test("a failed launch counts as a crash and backs off, with the reason kept")
    func launchFailure() {
        var h = MachineHarness()
        _ = h.send(.startRequested)
        let actions = h.send(.launchFailed(reason: "cannot start 'nope'"))
        #expect(MachineHarness.backoff(in: actions)?.0 == .seconds(1))
        #expect(h.state == .backoff)
        #expect(h.machine.lastError == "cannot start 'nope'")
    }

    @Test("a process that never gets ready is killed and restarted")
    func notReady() {
        var h = MachineHarness()
        _ = h.send(.startRequested)
        _ = h.send(.launched(pid: 5))
        let actions = h.send(.launchFailed(reason: "not ready within 30 s"))
        #expect(actions.contains(.terminate(grace: .seconds(5))))
        #expect(h.state == .unhealthy)
        #expect(MachineHarness.backoff(in: h.send(.exited(.killed(signal: 15)))) != nil)
        #expect(h.machine.lastError == "not ready within 30 s")
    }

    @Test("consecutive failed health checks make the workload unhealthy and restart it; a pass resets the count")
    func healthFailures() throws {
        var h = MachineHarness()
        let first = h.bringUp()
        var timer = try #require(first)
        for passed in [false, false, true, false, false] {
            let actions = h.send(passed ? .healthCheckPassed(timer: timer) : .healthCheckFailed(timer: timer))
            timer = try #require(MachineHarness.healthTimer(in: actions))
            #expect(h.state == .running)
        }
        let third = h.send(.healthCheckFailed(timer: timer))
        #expect(third.contains(.terminate(grace: .seconds(5))))
        #expect(third.contains(.reportStateChange(from: .running, to: .unhealthy)))
        #expect(h.machine.lastError == "3 consecutive health checks failed")
        let exit = h.send(.exited(.killed(signal: 15)))
        let (_, backoff) = try #require(MachineHarness.backoff(in: exit))
        #expect(h.send(.backoffElapsed(timer: backoff)).contains(.launch))
        #expect(h.machine.restarts == 1)
    }

    @Test("a health result for an old timer is ignored")
    func staleHealthResult() throws {
        var h = MachineHarness()
        let up = h.bringUp()
        let timer = try #require(up)
        #expect(h.send(.healthCheckFailed(timer: timer + 99)) == [])
        _ = h.send(.healthCheckPassed(timer: timer))
        #expect(h.send(.healthCheckFailed(timer: timer)) == [], "each timer is answered once")
    }

    @Test("expiry stops the workload as expired; restore starts it again with a fresh expiry")
    func expiryAndRestore() throws {
        var h = MachineHarness(timeToLive: .seconds(60))
        let start = h.send(.startRequested)
        let expiry = try #require(MachineHarness.expiry(in: start))
        _ = h.send(.launched(pid: 3))
        _ = h.send(.ready)
        #expect(h.send(.expiryReached(timer: expiry + 1)) == [], "an old expiry timer is ignored")
        #expect(h.send(.expiryReached(timer: expiry)).contains(.terminate(grace: .seconds(5))))
        #expect(h.state == .stopping)
        _ = h.send(.exited(.killed(signal: 15)))
        #expect(h.state == .expired)
        let restore = h.send(.restoreRequested)
        #expect(restore.contains(.launch))
        #expect(try #require(MachineHarness.expiry(in: restore)) != expiry)
        #expect(h.state == .starting)
    }

    @Test("resume after a daemon restart keeps the remaining time to live, or expires at once when it is over")
    func resume() throws {
        var h = MachineHarness(timeToLive: .seconds(3600))
        let actions = h.send(.resumeRequested(remaining: .seconds(42)))
        #expect(actions.contains(.launch))
        #expect(actions.contains { if case .scheduleExpiry(.seconds(42), _) = $0 { true } else { false } })
        var late = MachineHarness(timeToLive: .seconds(3600))
        #expect(late.send(.resumeRequested(remaining: .zero)).contains(.reportStateChange(from: .pending, to: .expired)))
        #expect(late.send(.restoreRequested).contains(.launch), "an expired instance can still be restored")
    }

    @Test("expiry during backoff expires at once")
    func expiryDuringBackoff() throws {
        var h = MachineHarness(timeToLive: .seconds(60))
        let start = h.send(.startRequested)
        let expiry = try #require(MachineHarness.expiry(in: start))
        _ = h.send(.launchFailed(reason: "boom"))
        #expect(h.state == .backoff)
        let actions = h.send(.expiryReached(timer: expiry))
        #expect(actions.contains(.reportStateChange(from: .backoff, to: .expired)))
        #expect(actions.contains(.cancelTimers([.backoff, .healthCheck])))
    }

    @Test("a failed workload starts again by hand with its crash history forgotten")
    func startAfterFailed() {
        var h = MachineHarness(restart: RestartPolicy(initialBackoff: .seconds(1), jitter: 0, crashLoopLimit: 2))
        h.bringUp()
        let (_, id) = MachineHarness.backoff(in: h.send(.exited(.exited(code: 1))))!
        _ = h.send(.backoffElapsed(timer: id))
        _ = h.send(.launched(pid: 2))
        _ = h.send(.exited(.exited(code: 1)))
        #expect(h.state == .failed)
        #expect(h.send(.startRequested).contains(.launch))
        _ = h.send(.launched(pid: 1))
        #expect(MachineHarness.backoff(in: h.send(.exited(.exited(code: 1))))?.0 == .seconds(1))
        #expect(h.state == .backoff)
    }

    @Test("a manual restart terminates, then launches once the process has exited, and counts")
    func manualRestart() {
        var h = MachineHarness()
        h.bringUp()
        #expect(h.send(.restartRequested).contains(.terminate(grace: .seconds(5))))
        #expect(h.state == .stopping)
        #expect(h.send(.exited(.killed(signal: 15))) == [.recordRestart(total: 1), .launch, .reportStateChange(from: .stopping, to: .starting)])
    }

    @Test("a stop after a restart request wins: the workload stays stopped")
    func stopWinsOverRestart() {
        var h = MachineHarness()
        h.bringUp()
        _ = h.send(.restartRequested)
        _ = h.send(.stopRequested)
        #expect(h.send(.exited(.killed(signal: 15))) == [.reportStateChange(from: .stopping, to: .stopped)])
    }

    @Test("a start while stopping relaunches after the exit without counting a restart")
    func startWhileStopping() {
        var h = MachineHarness()
        h.bringUp()
        _ = h.send(.stopRequested)
        _ = h.send(.startRequested)
        #expect(h.send(.exited(.killed(signal: 15))) == [.launch, .reportStateChange(from: .stopping, to: .starting)])
        #expect(h.machine.restarts == 0)
    }

    @Test("on-failure restarts only failures; never restarts nothing", arguments: [
        (RestartPolicy.Mode.onFailure, WorkloadExit.exited(code: 0), WorkloadState.stopped),
        (.onFailure, .exited(code: 1), .backoff),
        (.onFailure, .killed(signal: 11), .backoff),
        (.never, .exited(code: 0), .stopped),
        (.never, .exited(code: 1), .failed),
        (.always, .exited(code: 0), .backoff),
    ])
    func restartModes(mode: RestartPolicy.Mode, exit: WorkloadExit, expected: WorkloadState) {
        var h = MachineHarness(restart: RestartPolicy(mode: mode))
        h.bringUp()
        _ = h.send(.exited(exit))
        #expect(h.state == expected)
    }

    @Test("process events in a state without a process change nothing", arguments: [
        WorkloadStateMachine.Event.launched(pid: 1), .ready, .exited(.exited(code: 0)), .healthCheckFailed(timer: 1),
        .healthCheckPassed(timer: 1), .backoffElapsed(timer: 1), .expiryReached(timer: 1), .launchFailed(reason: "x"),
    ])
    func strayEvents(event: WorkloadStateMachine.Event) {
        var h = MachineHarness()
        h.bringUp()
        _ = h.send(.stopRequested)
        _ = h.send(.exited(.killed(signal: 15)))
        #expect(h.send(event) == [])
        #expect(h.state == .stopped)
    }

    @Test("stop on pending or failed acknowledges with stopped; restore of a running one does nothing")
    func requestsInQuietStates() {
        var h = MachineHarness()
        #expect(h.send(.stopRequested).contains(.reportStateChange(from: .pending, to: .stopped)))
        h.bringUp()
        #expect(h.send(.restoreRequested) == [])
        #expect(h.state == .running)
    }
}
