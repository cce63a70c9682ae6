import Foundation
import ServiceLifecycle
import Testing
@testable import HangarSupervisor

@Suite("Supervisor as a service", .timeLimit(.minutes(1)))
struct SupervisorServiceTests {
    @Test("a graceful shutdown of the service group stops every workload and leaves no process behind")
    func gracefulShutdown() async throws {
        let supervisor = Supervisor(logger: testLogger())
        try supervisor.add(shellSpec("a", "exec sleep 1000"), start: true)
        try supervisor.add(shellSpec("b", "sleep 1000 & wait"), start: true)
        let group = ServiceGroup(services: [supervisor], logger: testLogger())
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let a = try #require(try await waitFor(supervisor, "a", .running).pid)
            let b = try #require(try await waitFor(supervisor, "b", .running).pid)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(!isAlive(a))
            #expect(await waitUntilGone(b))
            #expect(supervisor.list().map(\.state) == [.stopped, .stopped])
        }
    }
}
