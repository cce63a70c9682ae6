import Foundation
import HangarCore
import HangarSandbox
import Testing

@Suite("SandboxProbe", .timeLimit(.minutes(1)))
struct SandboxProbeTests {
    @Test("the report names every layer with availability and a reason where missing")
    func reportShape() async throws {
        let probe = await Machine.probe()
        let json = probe.json
        let layers = try #require(json.objectValue?["layers"]?.objectValue)
        #expect(Set(layers.keys) == Set(SandboxLayer.allCases.map(\.rawValue)))
        for (name, value) in layers {
            let flag: Bool? = value.objectValue?["available"]?.boolValue
            let available = try #require(flag, "\(name)")
            if !available { #expect(value.objectValue?["reason"]?.stringValue?.isEmpty == false, "\(name) lacks a reason") }
        }
        for key in ["root", "bubblewrap", "userNamespaces", "setpriv", "prlimit", "cgroups", "seccomp", "networkNamespace",
                    "egressProxy"] {
            #expect(json.objectValue?[key] != nil, "missing \(key)")
        }
        #expect(probe.root.available == (geteuid() == 0))
    }

    @Test("on a root machine with bubblewrap every layer is available", .enabled(if: Machine.canSandbox, Machine.reason))
    func everythingHere() async throws {
        let probe = await Machine.probe()
        for layer in SandboxLayer.allCases {
            #expect(probe.layer(layer).available, "\(layer): \(probe.layer(layer).reason ?? "")")
        }
        #expect(probe.cgroupVersion != nil)
        #expect(probe.json.objectValue?["bubblewrap"]?.objectValue?["path"]?.stringValue == "/usr/bin/bwrap")
    }
}
