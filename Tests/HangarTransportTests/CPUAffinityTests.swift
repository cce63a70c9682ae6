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

    @Test("one-CPU claims go to the least held CPU, ties round the list, and come back on release")
    func claims() {
        var claims = CPUClaims()
        #expect(claims.claim(among: []) == nil)
        #expect([claims.claim(among: [0, 1, 2]), claims.claim(among: [0, 1, 2]), claims.claim(among: [0, 1, 2])] == [0, 1, 2])
        #expect(claims.claim(among: [0, 1, 2]) == 0, "all equal again: round the list")
        claims.release(1)
        #expect(claims.holders(of: 1) == 0 && claims.holders(of: 0) == 2)
        #expect(claims.claim(among: [0, 1, 2]) == 1, "the freed CPU is the least held")
        #expect(claims.claim(among: [2]) == 2, "only the CPUs offered count")
        #expect(claims.holders(of: 2) == 2)
        claims.release(7)  // never held: nothing changes
        #expect(claims.holders(of: 7) == 0)

        // A restarted server on a quiet machine moves on rather than returning to the first CPU.
        var quiet = CPUClaims()
        var seen: [Int] = []
        for _ in 0..<4 {
            let cpu = quiet.claim(among: [3, 5])!
            seen.append(cpu)
            quiet.release(cpu)
        }
        #expect(seen == [3, 5, 3, 5])

        // Hangar's own CPUs count as held: servers go elsewhere until the others are as full.
        var pinned = CPUClaims()
        pinned.reserve([0, 0])
        #expect([pinned.claim(among: [0, 1]), pinned.claim(among: [0, 1]), pinned.claim(among: [0, 1])] == [1, 0, 1])
    }

    @Test("a one-CPU child runs on one CPU of its list, held while it runs; placement any holds none")
    func oneCPUChild() async throws {
        let usable = CPUAffinity.available
        try #require(!usable.isEmpty)
        var spec = shell("grep Cpus_allowed_list: /proc/self/status; read line || true")
        spec.placement = .oneCPU
        let child = try await ChildProcess.spawn(spec)
        let cpu = try #require(child.heldCPU)
        #expect(usable.contains(cpu))
        #expect(CPUAffinity.holders(of: cpu) >= 1)
        let reader = PipeReader(fd: child.stdoutFD)
        #expect(try await reader.firstLine(onTimeout: ChildProcessTests.killGroup(child.pid)) == "Cpus_allowed_list:\t\(cpu)")
        close(child.stdinFD)  // ends `read`
        #expect(await child.waitForExit() == 0)

        var named = shell("grep Cpus_allowed_list: /proc/self/status")
        named.placement = .oneCPU
        named.cpus = [usable[usable.count - 1]]
        let inList = try await ChildProcess.spawn(named)
        #expect(inList.heldCPU == usable[usable.count - 1], "one CPU of the child's own list")
        close(inList.stdinFD)
        #expect(await inList.waitForExit() == 0)

        var any = shell("exit 0")
        any.placement = .any
        let free = try await ChildProcess.spawn(any)
        #expect(free.heldCPU == nil)
        close(free.stdinFD)
        #expect(await free.waitForExit() == 0)
    }

    @Test("a one-CPU child that fails to start gives its CPU back")
    func failedStartReleases() async throws {
        // CPUs no machine here has, so no other test's children claim them.
        var refused = shell("exit 0")
        (refused.cpus, refused.placement) = ([1023], .oneCPU)
        await #expect(throws: SpawnError.self) { _ = try await ChildProcess.spawn(refused) }
        #expect(CPUAffinity.holders(of: 1023) == 0, "refused by the kernel, then tried on the whole list, refused again")

        var missing = ProcessSpec(command: "/nonexistent/hangar-test", environment: [:])
        (missing.cpus, missing.placement) = ([1022], .oneCPU)
        await #expect { _ = try await ChildProcess.spawn(missing) } throws: { ($0 as? SpawnError)?.errno == ENOENT }
        #expect(CPUAffinity.holders(of: 1022) == 0)
    }

    @Test("placements read as one-cpu or any; anything else is refused by name")
    func placementText() throws {
        #expect(try CPUPlacement(parsing: "one-cpu") == .oneCPU)
        #expect(try CPUPlacement(parsing: " ANY ") == .any)
        #expect(try CPUPlacement(parsing: "auto") == .auto)
        #expect { try CPUPlacement(parsing: "two") } throws: { "\($0)".contains("'two' is not a placement: auto, one-cpu or any") }
    }

    @Test("auto: one CPU for a server that runs on Python (by its name or its #! line), anywhere for the rest")
    func auto() throws {
        for name in ["/usr/bin/python3", "/x/python", "/x/python3.12", "/x/uvx", "/x/uv", "/x/pipx"] {
            #expect(CPUPlacement.auto.resolved(executable: name) == .oneCPU, "\(name)")
        }
        for name in ["/x/pythonista", "/x/node", "/bin/sh", "/x/python3-config"] {
            #expect(!CPUPlacement.runsPython(name), "\(name)")
        }
        let dir = NSTemporaryDirectory() + "hangar-auto-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (script, python) in [("#!/venv/bin/python\nimport x\n", true), ("#!/usr/bin/env python3\n", true),
                                 ("#!/usr/bin/env -S uv run --script\n", true), ("#!/bin/sh\nexec python3 x\n", false),
                                 ("\u{7F}ELF", false), ("", false)] {
            let path = dir + "/server"
            try Data(script.utf8).write(to: URL(fileURLWithPath: path))
            #expect(CPUPlacement.runsPython(path) == python, "\(script)")
            #expect(CPUPlacement.auto.resolved(executable: path) == (python ? .oneCPU : .any))
        }
        #expect(CPUPlacement.any.resolved(executable: "/usr/bin/python3") == .any, "only auto looks")
        #expect(CPUPlacement.oneCPU.resolved(executable: "/bin/sh") == .oneCPU)
    }

    @Test("a CPU list the kernel refuses fails the spawn with its errno, and nothing runs")
    func refused() async throws {
        var spec = shell("exit 0")
        spec.cpus = [1023]  // within CPU_SETSIZE, so the kernel itself refuses it: no machine here has it
        await #expect(throws: SpawnError.self) { _ = try await ChildProcess.spawn(spec) }
    }
}
