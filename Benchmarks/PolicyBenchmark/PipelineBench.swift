import Foundation
import HangarCore
import HangarGateway
import HangarPolicy
import HangarStore
import HangarUpstream
import Logging

/// What the policy plane adds to one tools/call: API-key authentication, the permission
/// check, the rate limiter, input validation of a typical 5-property schema, the arguments
/// hash and the audit write (queued, written to SQLite in the background, as in the daemon).
///
/// Two measurements:
/// 1. the pipeline's own steps, per call (p50/p99), with nothing else in the loop;
/// 2. `Gateway.handle(tools/call)` against the fast Swift upstream over stdio, with the
///    policy plane off and on, so the difference is what a client would see.
enum PipelineBench {
    static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "path": ["type": "string", "minLength": 1],
            "count": ["type": "integer", "minimum": 0, "maximum": 1000],
            "recursive": ["type": "boolean"],
            "mode": ["enum": ["fast", "safe"]],
            "tags": ["type": "array", "items": ["type": "string"], "maxItems": 10],
        ],
        "required": ["path", "count"],
        "additionalProperties": false,
    ]
    static let arguments: JSONValue = ["path": "/srv/data", "count": 42, "recursive": true, "mode": "fast", "tags": ["a", "b"]]

    static func run(fastUpstream: String?) async throws {
        print("\n== Policy pipeline (what it adds per tools/call)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-pipeline-\(UUID().uuidString)").path
        let store = try SQLiteStore(directory: dir)
        var config = PolicyConfig()
        config.auth = .required
        config.permissions = Permissions(defaultEffect: .allow, rules: [
            .init(roles: [.user], tools: ["other__*"], effect: .deny),
            .init(identities: ["key:nobody"], effect: .deny),
        ])
        config.rateLimits = .init(perIdentity: .init(perSecond: 1e9, burst: 1e9), perTool: .init(perSecond: 1e9, burst: 1e9),
                                  perServer: .init(perSecond: 1e9, burst: 1e9), concurrentPerIdentity: 1000)
        let plane = try await PolicyPlane.open(config: config, store: store, dataDirectory: dir)
        let (_, key) = try await plane.keyring!.create(name: "bench", role: .user)
        let validator = try JSONSchema(schema)
        let logger = Logger(label: "bench")
        let background = Task { await plane.run(logger: logger) }

        let iterations = 200_000
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for i in 0..<iterations {
            let start = ContinuousClock.now
            let identity = try plane.keyring!.authenticate(key)
            guard plane.config.permissions.allows(identity, server: "files", tool: "files__list") else { fatalError("denied") }
            let permit = try plane.limiter.acquire(identity: identity.name, server: "files", tool: "files__list")
            guard validator.isValid(arguments) else { fatalError("invalid") }
            // As the gateway does: the size is counted, and the audit writer hashes the arguments later.
            let size = JSONWriter.byteCount(arguments)
            plane.record(AuditEntry(identity: identity.name, action: "tools/call", target: "files__list", outcome: "ok",
                                    latencyMicros: Int64(i & 0xff), arguments: AuditArguments(arguments, byteCount: size)))
            permit.release()
            samples.append(micros(ContinuousClock.now - start))
        }
        background.cancel()
        _ = await background.value
        try await plane.audit!.flush()
        let audited = try await store.auditChain(after: 0, limit: 1_000_000).count
        report("pipeline steps (auth+permission+limit+schema+size+audit)", samples)
        print("  audit records written: \(audited) of \(iterations)")

        guard let fastUpstream else {
            print("  (no hangar-fast-upstream binary found: build it to measure through the gateway)")
            return
        }
        var gatewayConfig = GatewayConfig(servers: [UpstreamConfig(name: "files", transport: .stdio(.init(command: fastUpstream, environment: ["PATH": "/usr/bin:/bin"])))])
        gatewayConfig.policy = config
        let bare = Gateway(config: gatewayConfig, policy: PolicyPlane(config: PolicyConfig()), logger: logger)
        let full = Gateway(config: gatewayConfig, policy: plane, logger: logger)
        for (label, gateway, authenticate) in [("gateway tools/call, policy off", bare, false), ("gateway tools/call, policy on ", full, true)] {
            let running = Task { await gateway.run() }
            await gateway.waitUntilReady(timeout: .seconds(20))
            let meta: JSONValue = [MetaKey.protocolVersion: .string(ProtocolVersion.modern), MetaKey.clientCapabilities: [:]]
            let request = JSONRPCMessage.Request(id: .int(1), method: MCPMethod.toolsCall,
                                                 params: ["name": "files__echo", "arguments": ["text": "hello"], "_meta": meta])
            var times: [Double] = []
            for i in 0..<22_000 {
                let start = ContinuousClock.now
                let identity = authenticate ? try plane.keyring!.authenticate(key) : .localAdmin
                let response = await gateway.handle(request, context: RequestContext(era: .modern, protocolVersion: ProtocolVersion.modern, identity: identity))
                if i >= 2_000 { times.append(micros(ContinuousClock.now - start)) }
                if case .failure(let e) = response.outcome { fatalError("call failed: \(e)") }
            }
            report(label, times)
            running.cancel()
            _ = await running.value
        }
    }

    static func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    static func report(_ label: String, _ samples: [Double]) {
        let sorted = samples.sorted()
        func p(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        print(String(format: "  %@: p50 %.2f µs  p90 %.2f µs  p99 %.2f µs  (n=%d)", label, p(0.5), p(0.9), p(0.99), sorted.count))
    }
}
