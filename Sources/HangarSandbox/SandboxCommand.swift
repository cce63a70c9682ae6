import Foundation

/// The command line that builds the sandbox for one spec, given which layers are available.
/// Pure: `Sandbox.launch` adds the descriptors and the process around it.
struct SandboxCommand: Sendable, Hashable {
    /// Descriptor numbers the child receives.
    static let argsFD: Int32 = 3, seccompFD: Int32 = 4, infoFD: Int32 = 5, blockFD: Int32 = 6
    /// Where the egress proxy listens inside the sandbox's own network namespace.
    static let proxyPort = 3128

    var executable: String
    var arguments: [String]
    /// The environment of the outer process (setpriv/bwrap), or the server's own without bubblewrap.
    var environment: [String: String]
    var workingDirectory: String?
    /// bubblewrap's options, read from `argsFD` (keeps environment values out of `ps`).
    var bwrapArguments: [String]?
    var usesSeccomp: Bool
    /// bubblewrap reports the sandbox's pid on `infoFD`.
    var usesInfo: Bool
    /// bubblewrap waits for a byte on `blockFD` before it execs the command.
    var usesBlock: Bool

    struct Tools: Sendable, Hashable {
        var bwrap: String?
        var setpriv: String?
        /// bubblewrap can create a user namespace (else it runs as root and setpriv goes inside).
        var userNamespaces: Bool
    }

    /// The environment the server sees.
    static func serverEnvironment(_ spec: SandboxSpec, home: String, proxy: Bool) -> [String: String] {
        var env = spec.environment
        env["PATH"] = spec.path
        env["HOME"] = home
        if proxy {
            let url = "http://127.0.0.1:\(proxyPort)"
            for key in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] { env[key] = url }
            for key in ["NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"] { env.removeValue(forKey: key) }
        }
        return env
    }

    static func make(spec: SandboxSpec, tools: Tools, uid: uid_t?, seccomp: Bool, egressProxy: Bool) -> SandboxCommand {
        let setprivOptions = uid.map { ["--reuid=\($0)", "--regid=\($0)", "--clear-groups", "--no-new-privs"] }
        guard let bwrap = tools.bwrap else {
            // No bubblewrap: only the uid, rlimits and cgroups remain.
            let env = serverEnvironment(spec, home: spec.serverDirectory, proxy: false)
            if let setpriv = tools.setpriv, let options = setprivOptions {
                return SandboxCommand(executable: setpriv, arguments: options + ["--"] + spec.command, environment: env,
                                      workingDirectory: spec.workingDirectory ?? spec.serverDirectory, bwrapArguments: nil, usesSeccomp: false,
                                      usesInfo: false, usesBlock: false)
            }
            return SandboxCommand(executable: spec.command[0], arguments: Array(spec.command.dropFirst()), environment: env,
                                  workingDirectory: spec.workingDirectory ?? spec.serverDirectory, bwrapArguments: nil, usesSeccomp: false,
                                  usesInfo: false, usesBlock: false)
        }
        var b: [String] = ["--unshare-all"]
        if tools.userNamespaces { b += ["--unshare-user", "--disable-userns"] }
        b += ["--die-with-parent", "--new-session", "--clearenv"]
        for (key, value) in serverEnvironment(spec, home: "/srv", proxy: egressProxy).sorted(by: { $0.key < $1.key }) {
            b += ["--setenv", key, value]
        }
        b += ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
              "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"]
        for etc in ["/etc/ssl", "/etc/ca-certificates", "/etc/alternatives", "/etc/localtime", "/etc/mime.types"] {
            b += ["--ro-bind-try", etc, etc]
        }
        b += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", spec.serverDirectory, "/srv"]
        for bind in spec.readOnlyBinds { b += ["--ro-bind", bind.host, bind.inside] }
        b += ["--chdir", spec.workingDirectory ?? "/srv"]
        if seccomp { b += ["--seccomp", String(seccompFD)] }
        b += ["--info-fd", String(infoFD)]
        if egressProxy { b += ["--block-fd", String(blockFD)] }
        var inner = spec.command
        if !tools.userNamespaces, let setpriv = tools.setpriv, let options = setprivOptions {
            // bubblewrap runs as root without a user namespace: drop to the uid inside.
            inner = [setpriv] + options + ["--bounding-set=-all", "--"] + spec.command
        }
        // Options (with the environment) come from the descriptor; the command stays visible.
        let bwrapCommandLine = ["--args", String(argsFD), "--"] + inner
        let outerEnv = ["PATH": "/usr/bin:/bin"]
        if tools.userNamespaces, let setpriv = tools.setpriv, let options = setprivOptions {
            return SandboxCommand(executable: setpriv, arguments: options + ["--", bwrap] + bwrapCommandLine,
                                  environment: outerEnv, workingDirectory: "/", bwrapArguments: b, usesSeccomp: seccomp,
                                  usesInfo: true, usesBlock: egressProxy)
        }
        return SandboxCommand(executable: bwrap, arguments: bwrapCommandLine, environment: outerEnv,
                              workingDirectory: "/", bwrapArguments: b, usesSeccomp: seccomp,
                              usesInfo: true, usesBlock: egressProxy)
    }
}
