import CHangarSystem
import Foundation
import HangarTransport
import Logging

/// Starts hosted servers inside every isolation layer the machine offers (see SANDBOX.md):
/// a cgroup joined before exec, rlimits, a per-workload uid through setpriv, bubblewrap with
/// a seccomp filter, and either no network or the egress proxy.
public enum Sandbox {
    /// Starts `spec.command` in its sandbox. Layers the probe reports missing are left out
    /// and listed in `SandboxedProcess.inactiveLayers`; the caller should warn about them.
    /// On failure nothing is left behind (no process, cgroup or uid).
    public static func launch(
        _ spec: SandboxSpec, probe: SandboxProbe, uidPool: WorkloadUIDPool = .shared,
        logger: Logger = Logger(label: "hangar.sandbox")
    ) async throws -> SandboxedProcess {
        try spec.validate()
        var inactive: [SandboxLayer: String] = [:]
        func available(_ layer: SandboxLayer) -> Bool {
            let check = probe.layer(layer)
            if !check.available { inactive[layer] = check.reason ?? "unavailable" }
            return check.available
        }
        let useBwrap = available(.bubblewrap)
        let useUID = available(.workloadUID)
        let useSeccomp = available(.seccomp)
        let useNetwork = available(.network)
        var wantsProxy = false
        if case .allowDomains = spec.network, useNetwork {
            if probe.egressProxy.available {
                wantsProxy = true
            } else {
                inactive[.network] = (probe.egressProxy.reason ?? "no egress proxy") + "; the server has no network at all"
            }
        }
        var controllers = Set<CgroupHierarchy.Controller>()
        if available(.cgroupMemory) { controllers.insert(.memory) }
        if available(.cgroupPids) { controllers.insert(.pids) }
        if available(.cgroupCPU) { controllers.insert(.cpu) }

        var resources = LaunchResources(uidPool: uidPool)
        do {
            if useUID {
                let uid = try spec.uid.map { uid in
                    guard uidPool.reserve(uid) else {
                        throw SandboxError(.invalidSpec, "the uid is already used by another running sandbox", detail: "\(uid)")
                    }
                    return uid
                } ?? uidPool.allocate()
                resources.uid = uid
                try ServerFolder.prepare(spec.serverDirectory, for: uid)
            }
            if let hierarchy = probe.hierarchy, !controllers.isEmpty {
                let name = "\(spec.workloadID)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
                resources.cgroup = try WorkloadCgroup.create(name: name, hierarchy: hierarchy, usable: controllers,
                                                             limits: spec.limits)
            }
            let command = SandboxCommand.make(
                spec: spec,
                tools: .init(bwrap: useBwrap ? probe.bubblewrapPath : nil, setpriv: probe.setprivPath,
                             userNamespaces: probe.userNamespaces.available),
                uid: resources.uid, seccomp: useBwrap && useSeccomp, egressProxy: wantsProxy)
            var process = ProcessSpec(command: command.executable, arguments: command.arguments,
                                      environment: command.environment, workingDirectory: command.workingDirectory)
            process.cgroupProcFiles = resources.cgroup?.procFiles ?? []
            process.placement = spec.placement
            process.resourceLimits = [.init(.coreSize, 0)]
            if let n = spec.limits.openFiles { process.resourceLimits.append(.init(.openFiles, n)) }
            if let n = spec.limits.fileSizeBytes { process.resourceLimits.append(.init(.fileSize, n)) }
            if let args = command.bwrapArguments {
                let fd = try resources.dataFD(Array(args.joined(separator: "\0").utf8) + [0])
                process.inheritedDescriptors.append(.init(source: fd, target: SandboxCommand.argsFD))
            }
            if command.usesSeccomp {
                let filter = SeccompFilter(allowInetSockets: wantsProxy || spec.servesLoopback)
                let fd = try resources.dataFD(filter.bytes)
                process.inheritedDescriptors.append(.init(source: fd, target: SandboxCommand.seccompFD))
            }
            var info: [Int32] = [-1, -1], block: [Int32] = [-1, -1]
            if command.usesInfo {
                info = try resources.pipe()
                process.inheritedDescriptors.append(.init(source: info[1], target: SandboxCommand.infoFD))
            }
            if command.usesBlock {
                block = try resources.pipe()
                process.inheritedDescriptors.append(.init(source: block[0], target: SandboxCommand.blockFD))
            }
            let child: ChildProcess
            do {
                child = try await ChildProcess.spawn(process)
            } catch {
                throw SandboxError(.spawn, "cannot start the sandbox", detail: "\(error)")
            }
            resources.child = child
            resources.closeChildSides(except: [info[0], block[1]])
            var sandboxPID: pid_t?
            if command.usesInfo { sandboxPID = try await readChildPID(info[0]) }
            if command.usesBlock, let pid = sandboxPID, case .allowDomains(let domains) = spec.network {
                let egress = EgressProxy(allowlist: try DomainAllowlist(domains), workloadID: spec.workloadID, logger: logger)
                resources.proxy = egress
                let listener = await OwnThread.run {
                    hangar_listen_in_netns("/proc/\(pid)/ns/net", Int32(SandboxCommand.proxyPort), 64)
                }
                guard listener >= 0 else {
                    throw SandboxError(.egress, "cannot listen inside the sandbox's network",
                                       detail: String(cString: strerror(-listener)))
                }
                do {
                    try await egress.serve(boundSocket: listener)
                } catch {
                    throw SandboxError(.egress, "cannot serve the egress proxy", detail: "\(error)")
                }
                // Let the command run now that its proxy exists.
                var byte: UInt8 = 1
                _ = write(block[1], &byte, 1)
            }
            resources.closeAll()
            let active = Set(SandboxLayer.allCases).subtracting(inactive.keys)
            logger.debug("sandbox started", metadata: [
                "hangar.workload": "\(spec.workloadID)", "hangar.sandbox.pid": "\(child.pid)",
                "hangar.sandbox.layers": "\(active.sorted().map(\.rawValue).joined(separator: ","))",
            ])
            return SandboxedProcess(
                process: child, workloadID: spec.workloadID, uid: resources.uid, uidPool: uidPool,
                cgroup: resources.cgroup, egress: resources.proxy, sandboxPID: sandboxPID,
                activeLayers: active, inactiveLayers: inactive)
        } catch {
            await resources.undo()
            throw error
        }
    }

    /// bubblewrap's `--info-fd` JSON: `{"child-pid": N, ...}`.
    static func readChildPID(_ fd: Int32) async throws -> pid_t {
        let bytes = await DescriptorReader.read(fd, timeout: .seconds(10)) { $0.contains(UInt8(ascii: "}")) }
        guard let bytes, let text = String(validating: bytes, as: UTF8.self),
              let range = text.range(of: "\"child-pid\""),
              let pid = pid_t(text[range.upperBound...].drop { $0 == ":" || $0 == " " }.prefix { $0.isNumber })
        else {
            throw SandboxError(.spawn, "bubblewrap did not report the sandbox's pid", detail: bytes.map { String(decoding: $0, as: UTF8.self) })
        }
        return pid
    }
}

/// What a launch has created so far, so that a failure can take it all back.
struct LaunchResources {
    let uidPool: WorkloadUIDPool
    var uid: uid_t?
    var cgroup: WorkloadCgroup?
    var child: ChildProcess?
    var proxy: EgressProxy?
    var fds: [Int32] = []

    init(uidPool: WorkloadUIDPool) {
        self.uidPool = uidPool
    }

    mutating func dataFD(_ bytes: [UInt8]) throws -> Int32 {
        let fd = bytes.withUnsafeBytes { hangar_data_fd($0.baseAddress, $0.count) }
        guard fd >= 0 else { throw SandboxError(.spawn, "cannot create a memory file", detail: String(cString: strerror(-fd))) }
        fds.append(fd)
        return fd
    }

    mutating func pipe() throws -> [Int32] {
        var pair: [Int32] = [-1, -1]
        guard hangar_pipe(&pair) == 0 else { throw SandboxError(.spawn, "cannot create a pipe", detail: String(cString: strerror(errno))) }
        fds += pair
        return pair
    }

    mutating func closeChildSides(except keep: [Int32]) {
        for fd in fds where !keep.contains(fd) { close(fd) }
        fds = fds.filter { keep.contains($0) && $0 >= 0 }
    }

    mutating func closeAll() {
        for fd in fds { close(fd) }
        fds = []
    }

    mutating func undo() async {
        closeAll()
        if let child {
            child.signalGroup(SIGKILL)
            cgroup?.killAll()
            _ = await child.waitForExit(timeout: .seconds(5))
            for fd in [child.stdinFD, child.stdoutFD, child.stderrFD] { close(fd) }
        }
        await proxy?.close()
        try? await cgroup?.remove()
        if let uid { uidPool.release(uid) }
    }
}
