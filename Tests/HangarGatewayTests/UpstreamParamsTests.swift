import HangarCore
@testable import HangarUpstream
import Testing

/// The params an upstream hears, per its era (`ClientIdentity.shape`).
@Suite struct UpstreamParamsTests {
    static let clientParams: JSONValue = [
        "name": "echo",
        "_meta": [MetaKey.protocolVersion: "2026-07-28", MetaKey.clientCapabilities: ["elicitation": [:]],
                  MetaKey.progressToken: 7],
        "arguments": ["text": "hi"],
    ]

    @Test("a modern upstream hears its version, the client's capabilities and Hangar as the client")
    func modern() {
        let shaped = ClientIdentity.shape(Self.clientParams, era: .modern, version: "2026-07-28")
        #expect(shaped.objectValue?.keys.elements == ["name", "_meta", "arguments"])
        #expect(shaped["_meta"] == [MetaKey.protocolVersion: "2026-07-28", MetaKey.clientCapabilities: ["elicitation": [:]],
                                    MetaKey.progressToken: 7, MetaKey.clientInfo: ClientIdentity.info])
        #expect(Self.clientParams["_meta"]?[MetaKey.clientInfo] == nil, "the caller's params are its own")

        let bare = ClientIdentity.shape(nil, era: .modern, version: "2026-07-28")
        #expect(bare == ["_meta": [MetaKey.protocolVersion: "2026-07-28", MetaKey.clientCapabilities: [:], MetaKey.clientInfo: ClientIdentity.info]])
        #expect(ClientIdentity.shape(["_meta": "junk"], era: .modern, version: "2026-07-28")["_meta"]?[MetaKey.clientCapabilities] == [:])
    }

    @Test("a legacy upstream hears no modern _meta keys, and no _meta when nothing else was in it")
    func legacy() {
        let shaped = ClientIdentity.shape(Self.clientParams, era: .legacy, version: "2025-11-25")
        #expect(shaped == ["name": "echo", "_meta": [MetaKey.progressToken: 7], "arguments": ["text": "hi"]])
        let onlyModern: JSONValue = ["name": "echo", "_meta": [MetaKey.protocolVersion: "2026-07-28"]]
        #expect(ClientIdentity.shape(onlyModern, era: .legacy, version: "2025-11-25") == ["name": "echo"])
        #expect(ClientIdentity.shape(nil, era: .legacy, version: "2025-11-25") == [:])
    }
}
