import Foundation
import HangarTransport
import Testing

@Suite("CPUAffinity", .timeLimit(.minutes(1)))
struct CPUAffinityTests {
    @Test("CPU lists read as Linux writes them, and are written back the same way")
    func lists() throws {
        let usable = CPUAffinity.available
        try #require(!usable.isEmpty)
        let first = usable[0], last = usable[usable.count - 1]
        #expect(try CPUAffinity.parse("\(first)") == [first])
        #expect(try CPUAffinity.parse(" \(first)-\(last) ") == usable.filter { $0 <= last })
        #expect(try CPUAffinity.parse("\(last),\(first),\(last)") == Array(Set([first, last])).sorted())
        #expect(CPUAffinity.format([0, 1, 2, 3, 6, 8, 9]) == "0-3,6,8-9")
        #expect(CPUAffinity.format([5]) == "5")
        for bad in ["", "x", "1-", "-1", "3-1", "1,,2", "0-99999"] {
            #expect(throws: CPUListError.self, "\(bad)") { try CPUAffinity.parse(bad) }
        }
        let missing = (usable.max() ?? 0) + 1
        #expect { try CPUAffinity.parse("\(missing)") } throws: { error in
            "\(error)".contains("CPU \(missing) is not one this process may use")
        }
    }

    @Test("a child started with cpus runs only there; without, where its parent may")
    func childCPUs() async throws {
        let usable = CPUAffinity.available
        let last = try #require(usable.last)
        var spec = shell("grep Cpus_allowed_list: /proc/self/status")
        spec.cpus = [last]
        let placed = try await ChildProcess.spawn(spec)
        close(placed.stdinFD)
        let out = try await PipeReader(fd: placed.stdoutFD).untilEOF(onTimeout: ChildProcessTests.killGroup(placed.pid))
        #expect(out == "Cpus_allowed_list:\t\(last)\n")
        #expect(await placed.waitForExit() == 0)

        let free = try await ChildProcess.spawn(shell("grep Cpus_allowed_list: /proc/self/status"))
        close(free.stdinFD)
        let freeOut = try await PipeReader(fd: free.stdoutFD).untilEOF(onTimeout: ChildProcessTests.killGroup(free.pid))
        #expect(freeOut == "Cpus_allowed_list:\t\(CPUAffinity.format(try CPUAffinity.current()))\n")
        #expect(await free.waitForExit() == 0)
    }

    @Test("a CPU list the kernel refuses fails the spawn with its errno, and nothing runs")
    func refused() async throws {
        var spec = shell("exit 0")
        spec.cpus = [1023]  // within CPU_SETSIZE, so the kernel itself refuses it: no machine here has it
        await #expect(throws: SpawnError.self) { _ = try await ChildProcess.spawn(spec) }
    }
}
