import Foundation
import HangarSandbox
import Testing

/// Runs a classic-BPF seccomp program over one `seccomp_data` (nr, arch, args) like the kernel.
func evaluate(_ filter: SeccompFilter, arch: UInt32, nr: UInt32, args: [UInt64] = []) -> UInt32 {
    var data = [UInt8](repeating: 0, count: 64)
    func put(_ value: UInt32, at offset: Int) { withUnsafeBytes(of: value) { data.replaceSubrange(offset..<offset + 4, with: $0) } }
    put(nr, at: 0)
    put(arch, at: 4)
    for (i, arg) in args.enumerated() {
        put(UInt32(truncatingIfNeeded: arg), at: 16 + 8 * i)
        put(UInt32(truncatingIfNeeded: arg >> 32), at: 20 + 8 * i)
    }
    var acc: UInt32 = 0, pc = 0
    let program = filter.instructions
    while pc < program.count {
        let i = program[pc]
        switch i.code {
        case 0x20: acc = data[Int(i.k)..<Int(i.k) + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        case 0x54: acc &= i.k
        case 0x06: return i.k
        case 0x15: pc += acc == i.k ? Int(i.jt) : Int(i.jf)
        case 0x35: pc += acc >= i.k ? Int(i.jt) : Int(i.jf)
        case 0x45: pc += acc & i.k != 0 ? Int(i.jt) : Int(i.jf)
        default: Issue.record("unknown opcode \(i.code)"); return 0
        }
        pc += 1
    }
    Issue.record("fell off the end of the program")
    return 0
}

@Suite("SeccompFilter")
struct SeccompFilterTests {
    static let allow: UInt32 = 0x7FFF_0000, kill: UInt32 = 0x8000_0000
    static let eperm: UInt32 = 0x0005_0000 | UInt32(EPERM), enosys: UInt32 = 0x0005_0000 | UInt32(ENOSYS)
    static let x86: UInt32 = 0xC000_003E, arm: UInt32 = 0xC000_00B7

    @Test("x86_64: dangerous calls get EPERM, ordinary calls pass, clone3 gets ENOSYS, foreign arches are killed")
    func x86Decisions() {
        let none = SeccompFilter(architecture: .x86_64, allowInetSockets: false)
        #expect(evaluate(none, arch: Self.x86, nr: 0) == Self.allow) // read
        #expect(evaluate(none, arch: Self.x86, nr: 101) == Self.eperm) // ptrace
        #expect(evaluate(none, arch: Self.x86, nr: 272) == Self.eperm) // unshare
        #expect(evaluate(none, arch: Self.x86, nr: 308) == Self.eperm) // setns
        #expect(evaluate(none, arch: Self.x86, nr: 165) == Self.eperm) // mount
        #expect(evaluate(none, arch: Self.x86, nr: 425) == Self.eperm) // io_uring_setup
        #expect(evaluate(none, arch: Self.x86, nr: 435) == Self.enosys) // clone3
        #expect(evaluate(none, arch: Self.x86, nr: 56, args: [0x11]) == Self.allow) // clone(SIGCHLD)
        #expect(evaluate(none, arch: Self.x86, nr: 56, args: [0x1000_0011]) == Self.eperm) // clone(CLONE_NEWUSER)
        #expect(evaluate(none, arch: Self.x86, nr: 56, args: [0x4000_0000]) == Self.eperm) // clone(CLONE_NEWNET)
        #expect(evaluate(none, arch: Self.x86, nr: 0x4000_0000 | 41) == Self.eperm) // x32 socket
        #expect(evaluate(none, arch: 0x4000_0003, nr: 0) == Self.kill) // i386
        #expect(evaluate(none, arch: Self.arm, nr: 0) == Self.kill)
    }

    @Test("sockets: unix always, inet only with egress, packet and raw inet never", arguments: [false, true])
    func sockets(allowInet: Bool) {
        let filter = SeccompFilter(architecture: .x86_64, allowInetSockets: allowInet)
        let inet = allowInet ? Self.allow : Self.eperm
        #expect(evaluate(filter, arch: Self.x86, nr: 41, args: [1, 1]) == Self.allow) // AF_UNIX stream
        #expect(evaluate(filter, arch: Self.x86, nr: 41, args: [16, 3]) == Self.allow) // AF_NETLINK raw
        #expect(evaluate(filter, arch: Self.x86, nr: 41, args: [2, 1]) == inet) // AF_INET stream
        #expect(evaluate(filter, arch: Self.x86, nr: 41, args: [10, 0x80801]) == inet) // AF_INET6 stream|cloexec|nonblock
        #expect(evaluate(filter, arch: Self.x86, nr: 41, args: [2, 3]) == Self.eperm) // raw inet
        #expect(evaluate(filter, arch: Self.x86, nr: 41, args: [17, 3]) == Self.eperm) // AF_PACKET
    }

    @Test("aarch64 uses its own numbers")
    func aarch64() {
        let filter = SeccompFilter(architecture: .aarch64, allowInetSockets: false)
        #expect(evaluate(filter, arch: Self.arm, nr: 117) == Self.eperm) // ptrace
        #expect(evaluate(filter, arch: Self.arm, nr: 97) == Self.eperm) // unshare
        #expect(evaluate(filter, arch: Self.arm, nr: 198, args: [2, 1]) == Self.eperm) // socket(AF_INET)
        #expect(evaluate(filter, arch: Self.arm, nr: 220, args: [0x2000_0000]) == Self.eperm) // clone(CLONE_NEWPID)
        #expect(evaluate(filter, arch: Self.arm, nr: 101) == Self.allow) // nanosleep on arm64, ptrace on x86
        #expect(evaluate(filter, arch: Self.x86, nr: 0) == Self.kill)
        #expect(filter.bytes.count == filter.instructions.count * 8)
    }

    @Test("inside the sandbox ptrace and unshare fail with EPERM", .enabled(if: Machine.canSandbox, Machine.reason),
          .timeLimit(.minutes(1)))
    func inSandbox() async throws {
        let run = try await runSandboxed(python("""
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            print("ptrace", libc.ptrace(0, 0, 0, 0), ctypes.get_errno())
            print("unshare", libc.unshare(0), ctypes.get_errno())
            print("unshare-user", libc.unshare(0x10000000), ctypes.get_errno())
            pid = os.fork()
            if pid == 0: os._exit(7)
            print("fork", os.waitpid(pid, 0)[1] >> 8)
            """))
        #expect(run.stdout.contains("ptrace -1 \(EPERM)"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stdout.contains("unshare -1 \(EPERM)"))
        #expect(run.stdout.contains("unshare-user -1 \(EPERM)"))
        #expect(run.stdout.contains("fork 7"))
        #expect(run.activeLayers.contains(.seccomp))
    }
}
