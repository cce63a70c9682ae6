import HangarPolicy
import HangarStore
import Testing

@Suite struct APIKeyringTests {
    @Test func aCreatedKeyAuthenticatesWithItsRoleUntilRevoked() async throws {
        let store = try SQLiteStore()
        let keyring = try await APIKeyring.load(from: store)
        let (record, key) = try await keyring.create(name: "ci", role: .operator)
        #expect(key.hasPrefix(record.prefix + "_"))
        #expect(!record.hash.contains(key) && record.hash.count == 64, "only a hash is stored")
        let identity = try keyring.authenticate(key)
        #expect(identity == Identity(kind: .apiKey, id: record.id, role: .operator))
        #expect(identity.name == "key:\(record.id)")
        try await keyring.flushUsage()
        #expect(try await store.keys().first?.lastUsedMs != nil)
        #expect(try await keyring.revoke(id: record.id))
        #expect(throws: PolicyError.self) { try keyring.authenticate(key) }
        // A reloaded keyring (daemon restart) does not bring a revoked key back.
        let reloaded = try await APIKeyring.load(from: store)
        #expect(throws: PolicyError.self) { try reloaded.authenticate(key) }
    }

    @Test(arguments: ["", "hk_", "Bearer x", "hk_short_key", String(repeating: "a", count: 44)])
    func malformedKeysAreRefused(_ presented: String) async throws {
        let keyring = try await APIKeyring.load(from: try SQLiteStore())
        #expect { try keyring.authenticate(presented) } throws: { ($0 as? PolicyError)?.code == .unauthenticated }
    }

    @Test func aGuessedSecretWithARealPrefixIsRefused() async throws {
        let keyring = try await APIKeyring.load(from: try SQLiteStore())
        let (_, key) = try await keyring.create(name: "x", role: .admin)
        var guess = Array(key)
        guess[guess.count - 1] = guess.last == "a" ? "b" : "a"
        #expect(throws: PolicyError.self) { try keyring.authenticate(String(guess)) }
    }

    @Test func keysAreUnique() async throws {
        let keyring = try await APIKeyring.load(from: try SQLiteStore())
        var seen = Set<String>()
        for i in 0..<50 { seen.insert(try await keyring.create(name: "k\(i)", role: .user).key) }
        #expect(seen.count == 50)
    }
}
