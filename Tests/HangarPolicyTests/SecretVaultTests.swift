import Foundation
import HangarPolicy
import HangarStore
import Testing

@Suite struct SecretVaultTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hangar-vault-\(UUID().uuidString)").path
    }

    @Test func theKeyFileIsCreatedPrivateAndSecretsSurviveARestart() async throws {
        let dir = Self.directory()
        let store = try SQLiteStore(directory: dir)
        let vault = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:])
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/master.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try await vault.set("github", value: "ghp_supersecret")
        let stored = try #require(try await store.secret(named: "github"))
        #expect(!String(decoding: stored.sealed, as: UTF8.self).contains("ghp_supersecret"), "stored sealed, not plain")
        let again = try await SecretVault.open(store: try SQLiteStore(directory: dir), dataDirectory: dir, environment: [:])
        #expect(again.value(of: "github") == "ghp_supersecret")
        #expect(again.keyHint == vault.keyHint && again.keyHint.count == 4)
    }

    @Test func everySealingUsesAFreshNonce() async throws {
        let dir = Self.directory()
        let store = try SQLiteStore(directory: dir)
        let vault = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:])
        try await vault.set("a", value: "same value")
        let first = try #require(try await store.secret(named: "a")).sealed
        try await vault.set("a", value: "same value")
        let second = try #require(try await store.secret(named: "a")).sealed
        #expect(first.prefix(12) != second.prefix(12))
        #expect(first.count == 12 + "same value".utf8.count + 16)
    }

    @Test func theWrongMasterKeyIsAClearErrorNamingBothHints() async throws {
        let dir = Self.directory()
        let store = try SQLiteStore(directory: dir)
        let vault = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:])
        try await vault.set("a", value: "value-a")
        let other = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        await #expect {
            _ = try await SecretVault.open(store: store, dataDirectory: dir, environment: [SecretVault.environmentVariable: other])
        } throws: { error in
            let message = (error as? PolicyError)?.message ?? ""
            return message.contains(vault.keyHint) && !message.contains("value-a")
        }
    }

    @Test func aTamperedCiphertextIsDetected() async throws {
        let dir = Self.directory()
        let store = try SQLiteStore(directory: dir)
        let vault = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:])
        try await vault.set("a", value: "value-a")
        var record = try #require(try await store.secret(named: "a"))
        record.sealed[14] ^= 0x01
        try await store.putSecret(record)
        await #expect(throws: PolicyError.self) { _ = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:]) }
    }

    @Test func rotationReencryptsEverySecretUnderANewKey() async throws {
        let dir = Self.directory()
        let store = try SQLiteStore(directory: dir)
        let vault = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:])
        try await vault.set("a", value: "value-a")
        try await vault.set("b", value: "value-b")
        let before = try await store.secrets().map(\.sealed)
        let oldKey = try String(contentsOfFile: dir + "/master.key", encoding: .utf8)
        let hint = try await vault.rotateKey()
        let newKey = try String(contentsOfFile: dir + "/master.key", encoding: .utf8)
        #expect(hint != "" && newKey != oldKey)
        #expect(try await store.secrets().map(\.sealed) != before)
        let reopened = try await SecretVault.open(store: store, dataDirectory: dir, environment: [:])
        #expect(reopened.value(of: "a") == "value-a" && reopened.value(of: "b") == "value-b")
        #expect(reopened.keyHint == hint)
    }

    @Test func aKeyFromTheEnvironmentCannotBeRotatedByHangar() async throws {
        let key = Data((0..<32).map { UInt8($0 &* 7) }).base64EncodedString()
        let vault = try await SecretVault.open(store: try SQLiteStore(), dataDirectory: nil, environment: [SecretVault.environmentVariable: key])
        await #expect(throws: PolicyError.self) { _ = try await vault.rotateKey() }
    }

    @Test(arguments: ["", "has space", "semi;colon", String(repeating: "x", count: 200)])
    func badNamesAreRefused(_ name: String) async throws {
        let vault = try await SecretVault.open(store: try SQLiteStore(), dataDirectory: Self.directory(), environment: [:])
        await #expect(throws: PolicyError.self) { try await vault.set(name, value: "v") }
    }
}

@Suite struct RedactorTests {
    @Test func secretValuesAreReplacedInTextAndJSON() {
        let r = Redactor(secrets: ["tok": "s3cr3t-value", "short": "ab"])
        #expect(r.redact("the token is s3cr3t-value.") == "the token is [redacted:tok].")
        #expect(r.redact("ab stays: too short to redact safely") == "ab stays: too short to redact safely")
        let json: HangarCoreJSON = ["content": [["type": "text", "text": "x s3cr3t-value y"]], "isError": false]
        #expect(r.redact(json) == ["content": [["type": "text", "text": "x [redacted:tok] y"]], "isError": false])
        #expect(r.redact(["nothing": "here"] as HangarCoreJSON) == nil)
    }

    @Test("JSON text that may hold a secret is told apart without parsing it; a \\u escape or an escapable secret always may")
    func secretsInJSONText() {
        let r = Redactor(secrets: ["tok": "s3cr3t-value"])
        #expect(r.mayAppear(inJSON: Array(#"{"text":"x s3cr3t-value y"}"#.utf8)))
        #expect(r.mayAppear(inJSON: Array(#"{"s3cr3t-value":1}"#.utf8)), "in a key")
        #expect(!r.mayAppear(inJSON: Array(#"{"text":"s3cr3t-valu\ne"}"#.utf8)), "the escape splits no secret without a control character")
        #expect(r.mayAppear(inJSON: Array(#"{"text":"s3cr3t\u002dvalue"}"#.utf8)), "\\u can spell any character")
        #expect(!r.mayAppear(inJSON: Array(#"{"text":"nothing here"}"#.utf8)))
        #expect(!Redactor(secrets: [:]).mayAppear(inJSON: Array(#"{"text":"s3cr3t-value"}"#.utf8)))
        let slash = Redactor(secrets: ["url": "https://x/y"])
        #expect(slash.mayAppear(inJSON: Array(#"{"text":"nothing"}"#.utf8)), "a secret with / could be spelled with \\/")
    }

    @Test func referencesResolveAndAnUnknownNameIsNamed() throws {
        #expect(try SecretReference.resolve("Bearer ${secret:gh}", lookup: { $0 == "gh" ? "v1" : nil }) == "Bearer v1")
        #expect(SecretReference.names(in: "${secret:a}-${secret:b}") == ["a", "b"])
        #expect { try SecretReference.resolve("${secret:missing}", lookup: { _ in nil }) } throws: {
            ($0 as? PolicyError)?.message.contains("missing") == true
        }
    }
}

import HangarCore
typealias HangarCoreJSON = JSONValue
