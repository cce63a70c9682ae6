import HangarCore
import HangarPolicy
import HangarUpstream

extension Gateway {
    /// tools/call through the policy plane: authorize, rate-limit, check sizes and the input
    /// schema, forward, check the output schema and size, redact, audit.
    ///
    /// A stdio upstream's result comes back as text and goes on as text: the checks parse only
    /// the members they read, and its size is its length. It is parsed whole only when a
    /// secret could be in it, to redact.
    func callTool(_ params: JSONValue?, context: RequestContext) async throws -> UpstreamResult {
        let started = ContinuousClock.now
        let identity = context.identity
        let name = try Self.requiredString(params, "name")
        let arguments = params?["arguments"]
        if let arguments, arguments.objectValue == nil, arguments != .null {
            throw JSONRPCError.invalidParams("\"arguments\" must be an object")
        }
        // The size is counted without serializing; the audit writer hashes small arguments later.
        let argumentSize = arguments.map(JSONWriter.byteCount) ?? 0
        let auditArguments = policy.audit == nil ? nil : arguments.map { AuditArguments($0, byteCount: argumentSize) }
        func audit(_ outcome: String, _ detail: String = "") {
            let elapsed = ContinuousClock.now - started
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            policy.record(AuditEntry(identity: identity.name, action: MCPMethod.toolsCall, target: name, outcome: outcome,
                                     latencyMicros: micros, arguments: auditArguments, detail: detail))
        }
        let permissions = policy.config.permissions
        guard let entry = catalog.tool(named: name), context.sees(entry.server) else {
            audit("error", "unknown tool")
            throw JSONRPCError.invalidParams("Unknown tool: \(name)")
        }
        guard permissions.allows(identity, server: entry.server, tool: name) else {
            audit("denied")
            throw PolicyError(.forbidden, "\(identity.name) may not call \(name)").rpcError
        }
        let permit: RateLimiter.Permit
        do {
            permit = try policy.limiter.acquire(identity: identity.name, server: entry.server, tool: name)
        } catch {
            audit("limited", error.message)
            throw error
        }
        defer { permit.release() }
        if argumentSize > policy.config.maxArgumentBytes {
            audit("invalid", "arguments of \(argumentSize) bytes")
            throw PolicyError(.tooLarge, "The arguments of \(name) are \(argumentSize) bytes; the limit is \(policy.config.maxArgumentBytes)").rpcError
        }
        let validators = callValidators(for: entry)
        if let problem = inputProblem(validators, arguments: arguments) {
            audit("invalid", problem)
            // 2025-11-25 and later: input validation failures are tool execution errors, so the model can correct them.
            return .value(["content": [["type": "text", "text": .string("Invalid arguments for \(name): \(problem)")]], "isError": true])
        }
        var answer: UpstreamResult
        do {
            answer = try await forward(MCPMethod.toolsCall, params: params, renamed: entry.originalName, to: entry.server,
                                       context: context, keepingText: true)
        } catch let error as UpstreamError {
            let rpc = error.rpcError
            let redacted = JSONRPCError(code: rpc.code, message: policy.redactor.redact(rpc.message), data: rpc.data.map { policy.redactor.redact($0) ?? $0 })
            audit("error", redacted.message)
            throw redacted
        }
        // Text that could hold a secret is parsed whole, to be redacted below.
        if case .text(let text) = answer, policy.redactor.mayAppear(inJSON: text.bytes) { answer = .value(text.value) }
        // An interim answer asking the client for input is not the tool's result: nothing to check yet.
        if answer["resultType"]?.stringValue == "input_required" {
            audit("input_required")
            return answer
        }
        let isError = answer["isError"]?.boolValue == true
        if let problem = outputProblem(validators, isError: isError, structuredContent: answer["structuredContent"]) {
            audit("error", problem)
            throw JSONRPCError(.internalError, "The result of \(name) does not match its outputSchema: \(problem)")
        }
        let size = answer.byteCount
        if size > policy.config.maxResultBytes {
            audit("error", "result of \(size) bytes")
            throw PolicyError(.tooLarge, "The result of \(name) is \(size) bytes; the limit is \(policy.config.maxResultBytes)").rpcError
        }
        if case .value(let result) = answer, let redacted = policy.redactor.redact(result) { answer = .value(redacted) }
        audit(isError ? "error" : "ok")
        return answer
    }
}
