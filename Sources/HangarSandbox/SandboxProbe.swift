import Foundation
import HangarCore
import HangarTransport

/// What this machine offers for sandboxing, found by trying it: the answer behind
/// `hangar doctor`, and the input that tells `Sandbox.launch` which layers it can build.
public struct SandboxProbe: Sendable, Hashable {
    /// One capability: available or not, and why not in words an operator can act on.
    public struct Check: Sendable, Hashable {
        public let available: Bool
        public let reason: String?
        public static let yes = Check(available: true, reason: nil)
        public static func no(_ reason: String) -> Check { Check(available: false, reason: reason) }
    }

    public let root: Check
    public let bubblewrap: Check
    public let bubblewrapPath: String?
    public let setprivPath: String?
    public let userNamespaces: Check
    public let setpriv: Check
    public let prlimit: Check
    public let cgroupVersion: CgroupHierarchy.Version?
    public let cgroups: [CgroupHierarchy.Controller: Check]
    public let seccomp: Check
    public let networkNamespace: Check
    let hierarchy: CgroupHierarchy?

    /// Whether `Sandbox.launch` can build `layer` here, and why not.
    public func layer(_ layer: SandboxLayer) -> Check {
        switch layer {
        case .bubblewrap: return bubblewrap
        case .workloadUID:
            if !root.available { return .no("not running as root: the sandbox keeps the daemon's uid") }
            return setpriv
        case .rlimits: return .yes
        case .cgroupMemory: return cgroups[.memory] ?? .no("no cgroup hierarchy")
        case .cgroupPids: return cgroups[.pids] ?? .no("no cgroup hierarchy")
        case .cgroupCPU: return cgroups[.cpu] ?? .no("no cgroup hierarchy")
        case .seccomp:
            if !seccomp.available { return seccomp }
            return bubblewrap.available ? .yes : .no("seccomp is installed by bubblewrap, which is not working")
        case .network: return networkNamespace
        }
    }

    /// Whether an `.allowDomains` sandbox can get its egress proxy (design B needs root to
    /// enter the sandbox's network namespace). Without it such a sandbox has no network at all.
    public var egressProxy: Check {
        guard networkNamespace.available else { return networkNamespace }
        return root.available ? .yes : .no("the egress proxy enters the sandbox's network namespace, which needs root")
    }

    /// For `hangar doctor --json`.
    public var json: JSONValue {
        func check(_ c: Check, _ extra: JSONObject = [:]) -> JSONValue {
            var o: JSONObject = ["available": .bool(c.available)]
            if let reason = c.reason { o["reason"] = .string(reason) }
            for (k, v) in extra { o[k] = v }
            return .object(o)
        }
        var cgroupObject: JSONObject = ["version": cgroupVersion.map { .string($0.rawValue) } ?? .null]
        var controllers = JSONObject()
        for controller in CgroupHierarchy.Controller.allCases {
            controllers[controller.rawValue] = check(cgroups[controller] ?? .no("no cgroup hierarchy"))
        }
        cgroupObject["controllers"] = .object(controllers)
        var layers = JSONObject()
        for l in SandboxLayer.allCases { layers[l.rawValue] = check(layer(l)) }
        return .object([
            "root": check(root),
            "bubblewrap": check(bubblewrap, bubblewrapPath.map { ["path": .string($0)] } ?? [:]),
            "userNamespaces": check(userNamespaces),
            "setpriv": check(setpriv, setprivPath.map { ["path": .string($0)] } ?? [:]),
            "prlimit": check(prlimit),
            "cgroups": .object(cgroupObject),
            "seccomp": check(seccomp),
            "networkNamespace": check(networkNamespace),
            "egressProxy": check(egressProxy),
            "layers": .object(layers),
        ])
    }

    /// Looks at the machine and tries bubblewrap once (as an unprivileged uid when root).
    public static func run() async -> SandboxProbe {
        let isRoot = geteuid() == 0
        let bwrapPath = executable("bwrap"), setprivPath = executable("setpriv"), prlimitPath = executable("prlimit")
        let userns = userNamespaceCheck()
        let setpriv: Check = setprivPath == nil ? .no("setpriv not found (Debian package util-linux)") : .yes
        var bwrap: Check
        if let bwrapPath {
            bwrap = await tryBubblewrap(bwrapPath, setpriv: isRoot ? setprivPath : nil)
        } else {
            bwrap = .no("bwrap not found (Debian package bubblewrap)")
        }
        if !bwrap.available, userns.available == false, let reason = userns.reason {
            bwrap = .no((bwrap.reason ?? "bubblewrap failed") + "; " + reason)
        }
        let hierarchy = CgroupHierarchy.detect()
        var cgroups: [CgroupHierarchy.Controller: Check] = [:]
        if let hierarchy {
            let (usable, problems) = isRoot || hierarchy.version == .v2 ? hierarchy.prepare() : ([], [:])
            for controller in CgroupHierarchy.Controller.allCases {
                if usable.contains(controller) {
                    cgroups[controller] = .yes
                } else {
                    cgroups[controller] = .no(problems[controller] ?? "cgroup v1 folders need root")
                }
            }
        } else {
            for controller in CgroupHierarchy.Controller.allCases { cgroups[controller] = .no("no cgroup controller is mounted") }
        }
        return SandboxProbe(
            root: isRoot ? .yes : .no("the daemon is not root (uid \(geteuid()))"),
            bubblewrap: bwrap, bubblewrapPath: bwrapPath, setprivPath: setprivPath,
            userNamespaces: userns, setpriv: setpriv,
            prlimit: prlimitPath == nil ? .no("prlimit not found (not needed: limits are set at spawn)") : .yes,
            cgroupVersion: hierarchy?.version, cgroups: cgroups, seccomp: seccompCheck(),
            networkNamespace: bwrap.available ? .yes : .no("network namespaces come from bubblewrap, which is not working"),
            hierarchy: hierarchy)
    }

    static func executable(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"].map { $0 + name }
            .first { access($0, X_OK) == 0 }
    }

    static func userNamespaceCheck() -> Check {
        func value(_ path: String) -> Int? {
            ProcFile.read(path).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if let max = value("/proc/sys/user/max_user_namespaces"), max == 0 {
            return .no("user namespaces are off (user.max_user_namespaces = 0)")
        }
        if let clone = value("/proc/sys/kernel/unprivileged_userns_clone"), clone == 0 {
            return .no("unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0)")
        }
        if let restricted = value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"), restricted == 1 {
            return .no("AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)")
        }
        return .yes
    }

    static func seccompCheck() -> Check {
        let status = ProcFile.read("/proc/self/status") ?? ""
        guard status.contains("\nSeccomp:") else { return .no("the kernel has no seccomp (CONFIG_SECCOMP)") }
        if let actions = ProcFile.read("/proc/sys/kernel/seccomp/actions_avail"),
           !actions.contains("errno") {
            return .no("the kernel's seccomp lacks the errno action")
        }
        return .yes
    }

    /// Runs `/usr/bin/true` in a minimal bubblewrap sandbox like the real one.
    static func tryBubblewrap(_ bwrap: String, setpriv: String?) async -> Check {
        let bwrapArgs = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                         "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                         "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                         "/usr/bin/true"]
        let spec = setpriv.map {
            ProcessSpec(command: $0, arguments: ["--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", bwrap]
                        + bwrapArgs, environment: ["PATH": "/usr/bin:/bin"])
        } ?? ProcessSpec(command: bwrap, arguments: bwrapArgs, environment: ["PATH": "/usr/bin:/bin"])
        do {
            let child = try await ChildProcess.spawn(spec)
            close(child.stdinFD)
            close(child.stdoutFD)
            async let errText = DescriptorReader.readAll(child.stderrFD, limit: 4096)
            guard let code = await child.waitForExit(timeout: .seconds(10)) else {
                child.signalGroup(SIGKILL)
                _ = await errText
                return .no("bubblewrap did not finish a trivial sandbox within 10 s")
            }
            let message = String(decoding: await errText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return code == 0 ? .yes : .no("bubblewrap failed (exit \(code)): \(message)")
        } catch {
            return .no("cannot start bubblewrap: \(error)")
        }
    }
}
