import Foundation
import HangarCore
import Testing

extension Interop {
    /// Servers installed from PyPI: `hangar add NAME --pypi PACKAGE[==VERSION]` makes a venv of
    /// the server's own and runs its console script in the sandbox.
    @Suite(.serialized)
    struct PackageTests {
        @Test("hangar add --pypi mcp-server-time: installed into its own venv, sandboxed, answering through the gateway; rm removes the venv")
        func pypiTimeServer() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let added = try await HostingTests.cli(daemon, ["add", "time", "--pypi", "mcp-server-time==2026.10.19", "--", "--local-timezone", "UTC"])
            #expect(added.status == 0, "\(added.err)")
            let running = try await HostingTests.waitFor(daemon, "time", state: "running", timeout: .seconds(60))
            let isolation = running?["isolation"]?.stringValue ?? ""
            #expect(isolation.contains("bubblewrap") && isolation.contains("workloadUID"), "\(isolation)")
            let reply = try await PolicyTests.call(daemon, "time__get_current_time", ["timezone": "Europe/Paris"], key: nil)
            let text = HostingTests.text(reply) ?? "\(reply.1)"
            #expect(text.contains("Europe/Paris") && text.contains("datetime"), "\(text)")
            // The stored spec is pinned, and the server's venv is its own folder, read-only inside.
            let (_, status) = try await PolicyTests.admin(daemon, "servers/time", key: daemon.adminKey)
            #expect(status["name"]?.stringValue == "time")
            let venv = daemon.directory + "/data/venvs/time"
            #expect(FileManager.default.fileExists(atPath: venv + "/bin/python"), "no venv at \(venv)")
            #expect((try? String(contentsOfFile: venv + "/.hangar-package", encoding: .utf8)) == "mcp-server-time==2026.10.19")
            #expect(try await HostingTests.cli(daemon, ["rm", "time"]).status == 0)
            #expect(!FileManager.default.fileExists(atPath: venv))
        }

        @Test("A bad or unknown PyPI package is refused with a message; nothing is added")
        func badPackages() async throws {
            let daemon = try await Daemon.start(servers: [:])
            defer { Task { await daemon.stop() } }
            let bad = try await HostingTests.cli(daemon, ["add", "x", "--pypi", "mcp-server-time; rm -rf /"])
            #expect(bad.status != 0)
            #expect(bad.err.joined().contains("is not a PyPI package name"), "\(bad.err)")
            let missing = try await HostingTests.cli(daemon, ["add", "y", "--pypi", "hangar-no-such-package-\(UInt32.random(in: 0...UInt32.max))==1.0"])
            #expect(missing.status != 0)
            #expect(missing.err.joined().contains("pip install"), "\(missing.err)")
            #expect(try await HostingTests.ps(daemon).isEmpty)
            let nothing = try await HostingTests.cli(daemon, ["add", "z"])
            #expect(nothing.status != 0 && nothing.err.joined().contains("--pypi"), "\(nothing.err)")
        }
    }
}
