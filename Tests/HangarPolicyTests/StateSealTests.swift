import HangarCore
import Testing
@testable import HangarPolicy

@Suite("Sealed request state")
struct StateSealTests {
    let seal = StateSeal()

    @Test("A sealed state opens for its principal before it expires, with its payload")
    func roundTrip() throws {
        let state = seal.seal(["c": "call-1"], principal: "key:abc", expiresMs: 2_000)
        let payload = try seal.open(state, principal: "key:abc", nowMs: 1_000).get()
        #expect(payload["c"]?.stringValue == "call-1")
    }

    @Test("Altered, foreign, expired, other-principal and malformed states are refused with the reason")
    func refusals() {
        let state = seal.seal(["c": "call-1"], principal: "key:abc", expiresMs: 2_000)
        let dot = state.firstIndex(of: ".")!
        var payload = Array(state[..<dot].utf8)
        payload[3] ^= 0x01
        let altered = String(decoding: payload, as: UTF8.self) + String(state[dot...])
        #expect(seal.open(altered, principal: "key:abc", nowMs: 1_000) == .failure(.forged) || seal.open(altered, principal: "key:abc", nowMs: 1_000) == .failure(.malformed))
        #expect(StateSeal().open(state, principal: "key:abc", nowMs: 1_000) == .failure(.forged))
        #expect(seal.open(state, principal: "key:abc", nowMs: 2_001) == .failure(.expired))
        #expect(seal.open(state, principal: "key:other", nowMs: 1_000) == .failure(.otherPrincipal))
        #expect(seal.open("no-dot", principal: "key:abc") == .failure(.malformed))
        #expect(seal.open(String(repeating: "a", count: 9000) + ".b", principal: "key:abc") == .failure(.malformed))
    }
}
