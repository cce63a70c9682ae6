import Foundation
import Glibc
import HangarCore
import Synchronization
import Testing
@testable import HangarSupervisor

/// Talks to a stdio workload the way the gateway's MCP client will: takes its stdin/stdout,
/// sends a line and waits for the answer before calling it ready.
final class LineHandshakeConnector: WorkloadConnector {
    let answers = Mutex<[String]>([])
    let disconnected = Mutex<[Int32]>([])

    func connect(_ target: WorkloadTarget) async throws {
        guard let stdio = target.process.takeStdio() else { throw TimedOut(what: "stdio (already taken)") }
        defer { close(stdio.stdin); close(stdio.stdout) }
        let hello = Array("hello\n".utf8)
        _ = hello.withUnsafeBytes { Glibc.write(stdio.stdin, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(stdio.stdout, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        let answer = String(decoding: line, as: UTF8.self)
        answers.withLock { $0.append(answer) }
        guard answer == "welcome hello" else { throw TimedOut(what: "a welcome (got '\(answer)')") }
    }

    func disconnect(_ target: WorkloadTarget) async {
        disconnected.withLock { $0.append(target.process.pid) }
    }
}

@Suite("Supervisor connectors and readiness", .timeLimit(.minutes(1)))
struct SupervisorConnectorTests {
    @Test("a connector takes the workload's stdio, completes a handshake, and the workload becomes ready; it hears of the exit")
    func stdioHandshake() async throws {
        let connector = LineHandshakeConnector()
        let supervisor = Supervisor(connector: connector, logger: testLogger())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await supervisor.run() }
            defer { group.cancelAll() }
            try supervisor.add(shellSpec("peer", "read greeting; echo \"welcome $greeting\"; exec sleep 1000"), start: true)
            let running = try await waitFor(supervisor, "peer", .running)
            #expect(connector.answers.withLock { $0 } == ["welcome hello"])
            try supervisor.stop("peer")
            try await waitFor(supervisor, "peer", .stopped)
            #expect(connector.disconnected.withLock { $0 } == [running.pid!])
        }
    }

    @Test("an HTTP workload that never listens is killed after its start timeout and backs off")
    func startTimeout() async throws {
        try await withSupervisor { supervisor in
            var spec = shellSpec("mute", "exec sleep 1000", restart: RestartPolicy(initialBackoff: .seconds(30)),
                                 health: HealthPolicy(interval: nil, startTimeout: .milliseconds(300)))
            spec.needsPort = true
            try supervisor.add(spec)
            let events = supervisor.events()
            try supervisor.start("mute")
            let seen = try await collectEvents(events, name: "mute") { $0.kind == .stateChanged(from: .unhealthy, to: .backoff) }
            #expect(seen.contains { $0.kind == .stateChanged(from: .starting, to: .unhealthy) })
            let status = try supervisor.status("mute")
            #expect(status.lastError == "not ready within 0.3 seconds")
            #expect(status.lastExit == .killed(signal: 15))
            #expect(supervisor.ports.allocated.isEmpty, "the port went back when the process ended")
        }
    }
}
