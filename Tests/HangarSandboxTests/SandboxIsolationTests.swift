import Foundation
import HangarCore
import HangarSandbox
import Testing

@Suite("Sandbox isolation", .enabled(if: Machine.canSandbox, Machine.reason), .timeLimit(.minutes(1)))
struct SandboxIsolationTests {
    @Test("the server runs as its own unprivileged uid: a root-only file is unreadable, a public one readable")
    func unprivilegedUID() async throws {
        let data = try TempFolder("hangar-sandbox-data")
        defer { data.remove() }
        try "secret".write(toFile: data.path + "/secret.txt", atomically: false, encoding: .utf8)
        chmod(data.path + "/secret.txt", 0o600)
        try "public".write(toFile: data.path + "/public.txt", atomically: false, encoding: .utf8)
        chmod(data.path + "/public.txt", 0o644)
        let run = try await runSandboxed(python("""
            import os
            print("uid", os.getuid(), os.geteuid(), os.getgid())
            print("public", open("/opt/data/public.txt").read())
            try:
                open("/opt/data/secret.txt").read(); print("secret READ")
            except PermissionError:
                print("secret denied")
            """)) { $0.readOnlyBinds = [ReadOnlyBind(host: data.path, inside: "/opt/data")] }
        let uid = try #require(run.uid)
        #expect(WorkloadUIDPool.defaultRange.contains(uid))
        #expect(run.stdout.contains("uid \(uid) \(uid) \(uid)"))
        #expect(run.stdout.contains("public public"))
        #expect(run.stdout.contains("secret denied"), "stderr: \(run.stderr)")
        #expect(run.activeLayers.contains(.workloadUID))
    }

    @Test("only the server folder is writable and persists; /usr is read-only; /tmp is private; host secrets are absent")
    func filesystem() async throws {
        let folder = try TempFolder()
        defer { folder.remove() }
        let marker = "hangar-private-tmp-\(UUID().uuidString.prefix(8))"
        let run = try await runSandboxed(python("""
            import os
            for p in ["/root", "/home", "/etc/shadow", "/etc/passwd", "/opt"]:
                print(p, "present" if os.path.exists(p) else "absent")
            try:
                open("/usr/hangar-was-here", "w"); print("usr writable")
            except OSError as e:
                print("usr errno", e.errno)
            open("/srv/out.txt", "w").write("kept")
            open("/tmp/\(marker)", "w").write("gone")
            print("tmp listing", os.listdir("/tmp"))
            print("cwd", os.getcwd())
            """), folder: folder)
        for path in ["/root", "/home", "/etc/shadow", "/etc/passwd", "/opt"] { #expect(run.stdout.contains("\(path) absent")) }
        #expect(run.stdout.contains("usr errno \(EROFS)"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stdout.contains("cwd /srv"))
        #expect(run.stdout.contains("tmp listing ['\(marker)']"))
        #expect(try String(contentsOfFile: folder.path + "/out.txt", encoding: .utf8) == "kept")
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path + "/out.txt")
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == run.uid)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/hangar-was-here"))
    }

    @Test("no privileges inside: NoNewPrivs 1, no effective capabilities, a new session")
    func privileges() async throws {
        let run = try await runSandboxed(["/bin/sh", "-c", "grep -E '^(NoNewPrivs|CapEff|CapPrm|Seccomp):' /proc/self/status"])
        #expect(run.stdout.contains("NoNewPrivs:\t1"))
        #expect(run.stdout.contains("CapEff:\t0000000000000000"))
        #expect(run.stdout.contains("CapPrm:\t0000000000000000"))
        #expect(run.stdout.contains("Seccomp:\t2"))
    }

    @Test("the server sees its declared environment, PATH and HOME, and nothing of the daemon's")
    func environment() async throws {
        setenv("HANGAR_SANDBOX_TEST_LEAK", "daemon-secret", 1)
        let run = try await runSandboxed(["/usr/bin/env"]) { $0.environment = ["GREETING": "hello world", "API_KEY": "k"] }
        let keys = Set(run.stdout.split(separator: "\n").compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        // PWD is bubblewrap's (--chdir /srv).
        #expect(keys == ["GREETING", "API_KEY", "PATH", "HOME", "PWD"])
        #expect(run.stdout.contains("GREETING=hello world\n"))
        #expect(run.stdout.contains("HOME=/srv\n"))
        #expect(!run.stdout.contains("daemon-secret"))
    }

    @Test("with no network only lo exists, inet sockets are refused and the host's loopback server is never reached")
    func noNetwork() async throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let run = try await runSandboxed(python("""
            import socket
            print("interfaces", sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:]))
            try:
                socket.create_connection(("127.0.0.1", \(server.port)), timeout=5); print("connected")
            except OSError as e:
                print("connect errno", e.errno)
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); print("unix ok"); u.close()
            """))
        #expect(run.stdout.contains("interfaces ['lo']"))
        #expect(run.stdout.contains("connect errno \(EPERM)"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stdout.contains("unix ok"))
        #expect(server.requests == 0)
        #expect(run.activeLayers.isSuperset(of: [.bubblewrap, .seccomp, .network]))
    }

    @Test("rlimits: open files and file size are bounded, core dumps off")
    func rlimits() async throws {
        let run = try await runSandboxed(python("""
            import resource
            print("nofile", resource.getrlimit(resource.RLIMIT_NOFILE))
            print("core", resource.getrlimit(resource.RLIMIT_CORE))
            try:
                open("/srv/big", "wb").write(b"x" * (2 << 20)); print("big written")
            except OSError as e:
                print("fsize errno", e.errno)
            """)) { $0.limits = ResourceLimits(openFiles: 64, fileSizeBytes: 1 << 20) }
        #expect(run.stdout.contains("nofile (64, 64)"))
        #expect(run.stdout.contains("core (0, 0)"))
        #expect(run.stdout.contains("fsize errno \(EFBIG)"), "stdout: \(run.stdout) stderr: \(run.stderr)")
    }

    @Test("bad specs are refused with a precise error before anything starts",
          arguments: [
            ("bad/id", "/tmp", [String]?.none, uid_t?.none),
            ("ok", "relative/path", nil, nil),
            ("ok", "/tmp", ["not a domain"], nil),
            ("ok", "/tmp", nil, uid_t(0)),
            ("ok", "/does/not/exist", nil, nil),
          ])
    func invalidSpecs(id: String, folder: String, domains: [String]?, uid: uid_t?) async throws {
        var spec = SandboxSpec(workloadID: id, command: ["/usr/bin/true"], serverDirectory: folder, uid: uid)
        if let domains { spec.network = .allowDomains(domains) }
        let error = try #require(throws: SandboxError.self) { try spec.validate() }
        #expect(error.code == .invalidSpec)
    }
}
