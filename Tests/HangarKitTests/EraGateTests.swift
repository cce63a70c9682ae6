import HangarCore
@testable import HangarKit
import Testing

@Suite("EraGate")
struct EraGateTests {
    @Test("a modern _meta version is served modern, an unknown one is -32022")
    func metaVersion() {
        let gate = EraGate(supported: ProtocolVersion.supported)
        #expect(gate.serve(method: "tools/list", metaVersion: "2026-07-28") == .success(.modern("2026-07-28")))
        guard case .failure(let error) = gate.serve(method: "tools/list", metaVersion: "1999-01-01") else {
            Issue.record("expected an error")
            return
        }
        #expect(error.code == -32022)
    }

    @Test("without a version or handshake a dual-era server answers as newest legacy")
    func lenient() {
        let gate = EraGate(supported: ProtocolVersion.supported)
        #expect(gate.serve(method: "tools/list", metaVersion: nil) == .success(.legacy(ProtocolVersion.latestLegacy)))
        #expect(!gate.allowsBatches)
    }

    @Test("initialize fixes the legacy version; batches follow it", arguments: [
        ("2025-03-26", true), ("2024-11-05", true), ("2025-06-18", false), ("2025-11-25", false),
    ])
    func initialize(version: String, batches: Bool) {
        var gate = EraGate(supported: ProtocolVersion.supported)
        #expect(gate.initialize(requested: version) == .success(version))
        #expect(gate.serve(method: "tools/call", metaVersion: nil) == .success(.legacy(version)))
        #expect(gate.allowsBatches == batches)
    }

    @Test("legacy-only: discover and pre-initialize requests are -32602, ping is fine")
    func legacyOnly() {
        var gate = EraGate(supported: ProtocolVersion.legacyVersions)
        #expect(gate.serve(method: "server/discover", metaVersion: "2026-07-28") == .failure(EraGate.legacyInvalidRequest))
        #expect(gate.serve(method: "tools/list", metaVersion: nil) == .failure(EraGate.legacyInvalidRequest))
        #expect(gate.serve(method: "ping", metaVersion: nil) == .success(.legacy("2025-11-25")))
        _ = gate.initialize(requested: "2025-06-18")
        #expect(gate.serve(method: "tools/list", metaVersion: "2026-07-28") == .success(.legacy("2025-06-18")))
    }

    @Test("modern-only: initialize is refused with the supported versions")
    func modernOnly() {
        var gate = EraGate(supported: [ProtocolVersion.modern])
        guard case .failure(let error) = gate.initialize(requested: "2025-11-25") else {
            Issue.record("expected an error")
            return
        }
        #expect(error.data?["supported"] == ["2026-07-28"])
        #expect(gate.serve(method: "tools/list", metaVersion: nil) == .success(.modern("2026-07-28")))
    }
}
