import Foundation
import HangarSandbox
import Logging
import Testing
@testable import HangarSupervisor

@Suite("What the sandbox launcher may mount")
struct SandboxBindTests {
    @Test("Never /, a system folder, or a folder holding the servers' folders or the data directory; a venv or package folder inside the data directory is fine")
    func binds() async {
        let launcher = SandboxLauncher(probe: await SandboxProbe.run(), serversDirectory: "/var/lib/hangar/data/servers",
                                       protectedPaths: ["/var/lib/hangar/data"], logger: Logger(label: "test"))
        for refused in ["/", "/bin", "/usr", "/usr/local", "/etc", "/etc/ssl", "/lib64", "/proc", "/var/lib", "/var/lib/hangar", "/var/lib/hangar/data",
                        "/var/lib/hangar/data/", "/var/lib/hangar/data/servers", "/var/lib/hangar/data/servers/.."] {
            #expect(!launcher.mayBind(refused), "\(refused) must not be mounted")
        }
        for allowed in ["/opt/server", "/var/lib/hangar/data/venvs/time", "/var/lib/hangar/data/uploads/up", "/work/repo/.build/debug", "/srv2"] {
            #expect(launcher.mayBind(allowed), "\(allowed) may be mounted")
        }
    }
}
