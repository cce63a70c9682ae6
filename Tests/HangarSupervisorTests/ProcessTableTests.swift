import Foundation
import Testing
@testable import HangarSupervisor

@Suite("ProcessTable")
struct ProcessTableTests {
    @Test("a stat line whose command holds spaces and parentheses parses by the last ')'")
    func parsesAwkwardNames() throws {
        let line = "4242 (my (odd) server) S 17 4242 4242 0 -1 4194560 300 0 0 0 150 50 7 3 20 0 1 0 12345 10000000 2560 18446744073709551615"
        let entry = try #require(ProcessTable.parseStat(line))
        #expect(entry.parent == 17)
        #expect(entry.cpuTicks == 150 + 50 + 7 + 3)
        #expect(entry.rssPages == 2560)
        #expect(ProcessTable.parseStat("garbage") == nil)
        #expect(ProcessTable.parseStat("1 (x) S 0 1") == nil)
    }

    @Test("this test process is found with its memory and open files")
    func readsOwnProcess() throws {
        let table = ProcessTable.read()
        let usage = try #require(table.usage(of: getpid()))
        #expect(usage.rssBytes > 1 << 20)
        #expect(usage.openFiles >= 3)
        #expect(table.usage(of: Int32.max) == nil)
    }

    @Test("one process's CPU time is read from its own stat file, in clock ticks turned to time")
    func cpuTimeOfOneProcess() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/4242", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let line = "4242 (my (odd) server) S 17 4242 4242 0 -1 4194560 300 0 0 0 150 50 7 3 20 0 1 0 12345 10000000 2560 18446744073709551615"
        try line.write(toFile: root + "/4242/stat", atomically: true, encoding: .utf8)
        let ticks = ProcessTable.ticksPerSecond
        #expect(ProcessTable.cpuTime(of: 4242, procRoot: root) == .nanoseconds(Int64(210) * 1_000_000_000 / Int64(ticks)))
        #expect(ProcessTable.cpuTime(of: 4243, procRoot: root) == nil)
        #expect(ProcessTable.cpuTime(of: getpid()) != nil)
    }

    @Test("the processes below one are those whose stat names it, or one below it, as parent")
    func processesBelowAProcess() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (pid, parent) in [(100, 1), (200, 100), (201, 100), (300, 200)] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(pid)", withIntermediateDirectories: true)
            let line = "\(pid) (p) S \(parent) 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 1 1000 10 0"
            try line.write(toFile: "\(root)/\(pid)/stat", atomically: true, encoding: .utf8)
        }
        #expect(ProcessTable.processes(below: 100, procRoot: root).sorted() == [200, 201, 300])
        #expect(ProcessTable.processes(below: 200, procRoot: root) == [300])
        #expect(ProcessTable.processes(below: 300, procRoot: root).isEmpty)
    }
}
