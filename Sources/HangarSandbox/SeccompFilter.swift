/// A classic-BPF seccomp program built by hand (no libseccomp), handed to `bwrap --seccomp FD`.
///
/// It kills the process on a foreign architecture (so i386 or x32 calls cannot dodge the
/// numbers below), refuses with EPERM: ptrace, unshare, setns, mount and the new mount API,
/// pivot_root, module and kexec loading, bpf, perf events, userfaultfd, keyrings,
/// process_vm_*, open_by_handle_at, io_uring (it can open sockets behind the filter's back),
/// swap and reboot; clone with any namespace flag; socket() for AF_PACKET and raw inet, and
/// for AF_INET/AF_INET6 entirely when the network is `.none`. clone3 gets ENOSYS so libc
/// falls back to clone, whose flags the filter can read.
public struct SeccompFilter: Sendable, Hashable {
    /// One `struct sock_filter`.
    public struct Instruction: Sendable, Hashable {
        public var code: UInt16
        public var jt: UInt8
        public var jf: UInt8
        public var k: UInt32
    }

    public enum Architecture: Sendable, Hashable {
        case x86_64, aarch64

        /// The architecture this binary runs on.
        public static var native: Architecture {
            #if arch(arm64)
            .aarch64
            #else
            .x86_64
            #endif
        }

        /// AUDIT_ARCH_* as seen in `seccomp_data.arch`.
        var auditArch: UInt32 { self == .x86_64 ? 0xC000_003E : 0xC000_00B7 }

        var numbers: SyscallNumbers { self == .x86_64 ? .x86_64 : .aarch64 }
    }

    public let architecture: Architecture
    public let allowInetSockets: Bool
    public let instructions: [Instruction]

    public init(architecture: Architecture = .native, allowInetSockets: Bool) {
        self.architecture = architecture
        self.allowInetSockets = allowInetSockets
        self.instructions = Self.build(architecture.numbers, auditArch: architecture.auditArch, allowInet: allowInetSockets)
    }

    /// The program as bwrap reads it: packed `sock_filter` structs in host byte order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(instructions.count * 8)
        for i in instructions {
            withUnsafeBytes(of: i.code) { out += $0 }
            out.append(i.jt)
            out.append(i.jf)
            withUnsafeBytes(of: i.k) { out += $0 }
        }
        return out
    }

    // MARK: building

    static let retAllow: UInt32 = 0x7FFF_0000
    static let retKillProcess: UInt32 = 0x8000_0000
    static func retErrno(_ e: Int32) -> UInt32 { 0x0005_0000 | UInt32(e & 0xFFFF) }

    static let ldAbs: UInt16 = 0x20, jeq: UInt16 = 0x15, jge: UInt16 = 0x35, jset: UInt16 = 0x45
    static let ret: UInt16 = 0x06, andK: UInt16 = 0x54

    /// Offsets in `struct seccomp_data`; argument words are the low halves (little-endian).
    static let nrOffset: UInt32 = 0, archOffset: UInt32 = 4
    static func argOffset(_ i: UInt32) -> UInt32 { 16 + 8 * i }

    /// Namespace flags of clone(2): NEWTIME, NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
    static let namespaceFlags: UInt32 = 0x80 | 0x20000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000
        | 0x2000_0000 | 0x4000_0000

    static let afInet: UInt32 = 2, afInet6: UInt32 = 10, afPacket: UInt32 = 17, sockRaw: UInt32 = 3

    private static func stmt(_ code: UInt16, _ k: UInt32) -> Instruction { Instruction(code: code, jt: 0, jf: 0, k: k) }
    private static func jump(_ code: UInt16, _ k: UInt32, _ jt: Int, _ jf: Int) -> Instruction {
        Instruction(code: code, jt: UInt8(jt), jf: UInt8(jf), k: k)
    }

    /// `if nr == number { body }`: body must end in a return.
    private static func when(_ number: UInt32, _ body: [Instruction]) -> [Instruction] {
        [jump(jeq, number, 0, body.count)] + body
    }

    static func build(_ n: SyscallNumbers, auditArch: UInt32, allowInet: Bool) -> [Instruction] {
        let eperm = retErrno(EPERMValue), enosys = retErrno(ENOSYSValue)
        var p: [Instruction] = [
            stmt(ldAbs, archOffset),
            jump(jeq, auditArch, 1, 0),
            stmt(ret, retKillProcess),
            stmt(ldAbs, nrOffset),
        ]
        if n.x32Bit != 0 {
            // x32 calls carry this bit; none of them are needed.
            p += [jump(jge, n.x32Bit, 0, 1), stmt(ret, eperm)]
        }
        for number in n.denied { p += when(number, [stmt(ret, eperm)]) }
        p += when(n.clone3, [stmt(ret, enosys)])
        p += when(n.clone, [
            stmt(ldAbs, argOffset(0)),
            jump(jset, namespaceFlags, 0, 1),
            stmt(ret, eperm),
            stmt(ret, retAllow),
        ])
        var socket: [Instruction] = [stmt(ldAbs, argOffset(0)), jump(jeq, afPacket, 0, 1), stmt(ret, eperm)]
        if allowInet {
            socket += [
                jump(jeq, afInet, 1, 0),
                jump(jeq, afInet6, 0, 4),
                stmt(ldAbs, argOffset(1)),
                stmt(andK, 0xF),
                jump(jeq, sockRaw, 0, 1),
                stmt(ret, eperm),
            ]
        } else {
            socket += [jump(jeq, afInet, 0, 1), stmt(ret, eperm), jump(jeq, afInet6, 0, 1), stmt(ret, eperm)]
        }
        socket.append(stmt(ret, retAllow))
        p += when(n.socket, socket)
        p.append(stmt(ret, retAllow))
        return p
    }

    static let EPERMValue: Int32 = 1
    static let ENOSYSValue: Int32 = 38
}

/// The system call numbers the filter names, per architecture (from the kernel's unistd tables).
struct SyscallNumbers: Sendable {
    var clone: UInt32
    var clone3: UInt32
    var socket: UInt32
    var x32Bit: UInt32
    var denied: [UInt32]

    static let x86_64 = SyscallNumbers(
        clone: 56, clone3: 435, socket: 41, x32Bit: 0x4000_0000,
        denied: [
            101, // ptrace
            272, // unshare
            308, // setns
            165, 166, 155, // mount, umount2, pivot_root
            428, 429, 430, 431, 432, 433, 442, // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
            175, 313, 176, // init_module, finit_module, delete_module
            246, 320, // kexec_load, kexec_file_load
            321, 298, 323, // bpf, perf_event_open, userfaultfd
            248, 249, 250, // add_key, request_key, keyctl
            310, 311, 304, // process_vm_readv, process_vm_writev, open_by_handle_at
            425, 426, 427, // io_uring_setup, io_uring_enter, io_uring_register
            167, 168, 169, // swapon, swapoff, reboot
        ])

    static let aarch64 = SyscallNumbers(
        clone: 220, clone3: 435, socket: 198, x32Bit: 0,
        denied: [
            117, // ptrace
            97, // unshare
            268, // setns
            40, 39, 41, // mount, umount2, pivot_root
            428, 429, 430, 431, 432, 433, 442,
            105, 273, 106, // init_module, finit_module, delete_module
            104, 294, // kexec_load, kexec_file_load
            280, 241, 282, // bpf, perf_event_open, userfaultfd
            217, 218, 219, // add_key, request_key, keyctl
            270, 271, 265, // process_vm_readv, process_vm_writev, open_by_handle_at
            425, 426, 427, // io_uring_*
            224, 225, 142, // swapon, swapoff, reboot
        ])
}
