import Foundation
import HangarCore
import Logging
import Testing
@testable import HangarSupervisor

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// A fresh empty folder under /tmp.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "hangar-supervisor-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A quiet logger for supervisors under test.
func testLogger() -> Logger {
    var logger = Logger(label: "hangar.supervisor.test")
    logger.logLevel = .error
    return logger
}

/// A `sh -c SCRIPT` workload that never health-checks and restarts quickly.
func shellSpec(_ name: String, _ script: String, restart: RestartPolicy = RestartPolicy(initialBackoff: .milliseconds(50), jitter: 0),
               health: HealthPolicy = HealthPolicy(interval: nil), timeToLive: Duration? = nil) -> WorkloadSpec {
    WorkloadSpec(name: name, command: ["/bin/sh", "-c", script], timeToLive: timeToLive, restart: restart, health: health,
                 stopGrace: .milliseconds(500))
}

/// Runs `body` against a supervisor whose `run()` goes on in the background, then cancels `run()`
/// and waits for it to end (every child terminated).
func withSupervisor<T: Sendable>(
    _ configuration: SupervisorConfiguration = SupervisorConfiguration(sampleInterval: .seconds(3600)),
    healthCheck: any HealthCheck = ProcessAliveCheck(),
    _ body: @Sendable @escaping (Supervisor) async throws -> T
) async throws -> T {
    let supervisor = Supervisor(configuration: configuration, healthCheck: healthCheck, logger: testLogger())
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await supervisor.run()
            return nil
        }
        group.addTask { try await body(supervisor) }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let result { return result }
        }
        throw TimedOut(what: "a result (run ended first)")
    }
}

/// Waits (on the supervisor's events, with a deadline) until the workload's status satisfies `predicate`.
@discardableResult
func waitUntil(_ supervisor: Supervisor, _ name: String, _ what: String, timeout: Duration = .seconds(15),
               _ predicate: @escaping @Sendable (WorkloadSnapshot) -> Bool) async throws -> WorkloadSnapshot {
    let events = supervisor.events()
    let result = await withTimeout(timeout) { () async -> WorkloadSnapshot? in
        if let status = try? supervisor.status(name), predicate(status) { return status }
        for await _ in events {
            if let status = try? supervisor.status(name), predicate(status) { return status }
        }
        return nil
    }
    guard let result else { throw TimedOut(what: "\(name) to be \(what) (now \((try? supervisor.status(name).state.rawValue) ?? "gone"))") }
    return result
}

/// Waits for the workload to reach `state`.
@discardableResult
func waitFor(_ supervisor: Supervisor, _ name: String, _ state: WorkloadState, timeout: Duration = .seconds(15)) async throws -> WorkloadSnapshot {
    try await waitUntil(supervisor, name, state.rawValue, timeout: timeout) { $0.state == state }
}

/// Collects events of one workload until `done` says so (or the deadline passes).
func collectEvents(_ events: AsyncStream<WorkloadEvent>, name: String, timeout: Duration = .seconds(15),
                   until done: @escaping @Sendable (WorkloadEvent) -> Bool) async throws -> [WorkloadEvent] {
    let collected = await withTimeout(timeout) { () async -> [WorkloadEvent]? in
        var seen: [WorkloadEvent] = []
        for await event in events where event.name == name {
            seen.append(event)
            if done(event) { return seen }
        }
        return nil
    }
    guard let collected else { throw TimedOut(what: "events of \(name)") }
    return collected
}

/// Reads lines from a follow stream until `count` have arrived.
func firstLines(_ stream: AsyncStream<String>, _ count: Int, timeout: Duration = .seconds(15)) async throws -> [String] {
    let lines = await withTimeout(timeout) { () async -> [String]? in
        var lines: [String] = []
        for await line in stream {
            lines.append(line)
            if lines.count == count { return lines }
        }
        return lines
    }
    guard let lines, lines.count == count else { throw TimedOut(what: "\(count) log lines") }
    return lines
}

/// True while the process exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return false }
    let state = text[text.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Waits (polling /proc, with a deadline) until the process is gone.
func waitUntilGone(_ pid: Int32, timeout: Duration = .seconds(5)) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while isAlive(pid) {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}
