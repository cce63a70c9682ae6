import HangarCore

/// The answers to each MCP method, once the era of the request is known.
extension MCPServer {
    func initialize(_ id: RequestID, _ params: JSONObject) -> JSONRPCMessage.Response {
        let requested = params["protocolVersion"]?.stringValue
        switch gate.withLock({ $0.initialize(requested: requested) }) {
        case .failure(let error):
            return .error(id, error)
        case .success(let version):
            var o: JSONObject = [
                "protocolVersion": .string(version),
                "capabilities": catalog.withLock { $0.capabilities },
                "serverInfo": ["name": .string(name), "version": .string(self.version)],
            ]
            if let instructions { o["instructions"] = .string(instructions) }
            return .result(id, .object(o))
        }
    }

    func discover(_ id: RequestID, _ served: EraGate.Served) -> JSONRPCMessage.Response {
        var o = resultStart(served)
        o["supportedVersions"] = .array(options.supportedVersions.map { .string($0) })
        o["capabilities"] = catalog.withLock { $0.capabilities }
        o["_meta"] = [MetaKey.serverInfo: ["name": .string(name), "version": .string(version)]]
        if let instructions { o["instructions"] = .string(instructions) }
        addCacheHints(&o, served)
        return .result(id, .object(o))
    }

    func callTool(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) async -> JSONRPCMessage.Response? {
        guard let toolName = params["name"]?.stringValue else {
            return .error(id, .invalidParams("tools/call needs a string \"name\""))
        }
        var arguments: JSONObject = [:]
        if let raw = params["arguments"], !raw.isNull {
            guard let object = raw.objectValue else {
                return .error(id, .invalidParams("\"arguments\" must be an object"))
            }
            arguments = object
        }
        guard let tool = catalog.withLock({ $0.tools[toolName] }) else {
            return .error(id, .invalidParams("Unknown tool: \(toolName)"))
        }
        let token = params["_meta"]?[MetaKey.progressToken]
        let call = ToolCall(
            name: toolName, arguments: arguments, requestID: id, protocolVersion: served.version,
            progress: ProgressReporter(token: token, outlet: outlet), outlet: outlet)
        let handler = tool.handler
        let result: ToolResult
        switch await inFlight.run(id, { try await handler(call) }) {
        case .cancelled:
            return nil
        case .finished(.success(let r)):
            result = r
        case .finished(.failure(let error as JSONRPCError)):
            return .error(id, error)
        case .finished(.failure(is CancellationError)):
            result = .error("Tool call was cancelled")
        case .finished(.failure(let error)):
            result = .error(String(describing: error))
        }
        var o = resultStart(served)
        result.write(into: &o)
        return .result(id, .object(o))
    }

    func listTools(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) -> JSONRPCMessage.Response {
        let tools = catalog.withLock { $0.tools.values.elements }
        return listPage(id, "tools", tools, params, served) { $0.definition }
    }

    func listResources(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) -> JSONRPCMessage.Response {
        let resources = catalog.withLock { $0.resources.values.elements }
        return listPage(id, "resources", resources, params, served) { $0.definition }
    }

    func listResourceTemplates(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) -> JSONRPCMessage.Response {
        let templates = catalog.withLock { $0.templates }
        return listPage(id, "resourceTemplates", templates, params, served) { $0.definition }
    }

    func listPrompts(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) -> JSONRPCMessage.Response {
        let prompts = catalog.withLock { $0.prompts.values.elements }
        return listPage(id, "prompts", prompts, params, served) { $0.definition }
    }

    private func listPage<T>(
        _ id: RequestID, _ key: String, _ items: [T], _ params: JSONObject, _ served: EraGate.Served,
        _ definition: (T) -> JSONValue
    ) -> JSONRPCMessage.Response {
        switch ListCursor.page(items, cursor: params["cursor"], pageSize: options.pageSize) {
        case .failure(let error):
            return .error(id, error)
        case .success(let (page, next)):
            var o = resultStart(served)
            o[key] = .array(page.map(definition))
            if let next { o["nextCursor"] = .string(next) }
            addCacheHints(&o, served)
            return .result(id, .object(o))
        }
    }

    func readResource(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) async -> JSONRPCMessage.Response? {
        guard let uri = params["uri"]?.stringValue else {
            return .error(id, .invalidParams("resources/read needs a string \"uri\""))
        }
        guard let source = catalog.withLock({ $0.resource(for: uri) }) else {
            let code: JSONRPCError.Code = served.isModern ? .invalidParams : .resourceNotFound
            return .error(id, JSONRPCError(code, "Resource not found", data: ["uri": .string(uri)]))
        }
        let outcome = await inFlight.run(id) { () async throws -> ResourceContents in
            switch source {
            case .fixed(let resource): return try await resource.read(uri)
            case .template(let template, let variables): return try await template.read(uri, variables)
            }
        }
        switch outcome {
        case .cancelled:
            return nil
        case .finished(.failure(let error)):
            return .error(id, Self.protocolError(error))
        case .finished(.success(let contents)):
            var o = resultStart(served)
            o["contents"] = [contents.json]
            addCacheHints(&o, served)
            return .result(id, .object(o))
        }
    }

    func getPrompt(_ id: RequestID, _ params: JSONObject, _ served: EraGate.Served) async -> JSONRPCMessage.Response? {
        guard let promptName = params["name"]?.stringValue else {
            return .error(id, .invalidParams("prompts/get needs a string \"name\""))
        }
        guard let prompt = catalog.withLock({ $0.prompts[promptName] }) else {
            return .error(id, .invalidParams("Unknown prompt: \(promptName)"))
        }
        var arguments: [String: String] = [:]
        for (key, value) in params["arguments"]?.objectValue ?? [:] {
            arguments[key] = value.stringValue ?? value.description
        }
        if let missing = prompt.arguments.first(where: { $0.required && arguments[$0.name] == nil }) {
            return .error(id, .invalidParams("prompt \(promptName) needs the argument \"\(missing.name)\""))
        }
        let getter = prompt.get
        let given = arguments
        switch await inFlight.run(id, { try await getter(given) }) {
        case .cancelled:
            return nil
        case .finished(.failure(let error)):
            return .error(id, Self.protocolError(error))
        case .finished(.success(let result)):
            var o = resultStart(served)
            result.write(into: &o)
            return .result(id, .object(o))
        }
    }

    /// A handler's error as a JSON-RPC error: its own if it threw one, else an internal error.
    static func protocolError(_ error: any Error) -> JSONRPCError {
        if let error = error as? JSONRPCError { return error }
        return JSONRPCError(.internalError, "Internal error: \(error)")
    }
}
