import HangarCore
import Testing

@Suite("ProtocolVersion")
struct ProtocolVersionTests {
    @Test("each supported version belongs to one era", arguments: ProtocolVersion.supported)
    func era(_ version: String) {
        let expected: ProtocolEra = version == ProtocolVersion.modern ? .modern : .legacy
        #expect(ProtocolVersion.era(of: version) == expected)
    }

    @Test("unknown versions have no era", arguments: ["", "2024-10-07", "2026-07-29", "latest"])
    func unknown(_ version: String) {
        #expect(ProtocolVersion.era(of: version) == nil)
    }

    @Test("supported versions are listed newest first")
    func newestFirst() {
        #expect(ProtocolVersion.supported == ProtocolVersion.supported.sorted(by: >))
        #expect(ProtocolVersion.supported.first == ProtocolVersion.modern)
        #expect(ProtocolVersion.legacyVersions.first == ProtocolVersion.latestLegacy)
    }

    @Test("only 2025-03-26 and earlier allow batches", arguments: [
        ("2024-11-05", true), ("2025-03-26", true), ("2025-06-18", false), ("2025-11-25", false), ("2026-07-28", false),
    ])
    func batches(_ version: String, _ allowed: Bool) {
        #expect(ProtocolVersion.allowsBatches(version) == allowed)
    }

    @Test("initialize answers with the client's legacy version if known, else the newest", arguments: [
        ("2025-06-18", "2025-06-18"), ("2024-11-05", "2024-11-05"), ("2026-07-28", "2025-11-25"), ("1999-01-01", "2025-11-25"),
    ])
    func negotiate(_ requested: String, _ answered: String) {
        #expect(ProtocolVersion.negotiateLegacy(requested) == answered)
    }

    @Test("no requested version gets the newest legacy version")
    func negotiateNone() {
        #expect(ProtocolVersion.negotiateLegacy(nil) == "2025-11-25")
    }
}
