import HangarCore

extension MCPServer {
    /// Handles one transport frame (a line without its newline): a message or, where the
    /// session's version allows, a batch. Returns the frame to send back, if any.
    public func handle(_ frame: some Collection<UInt8>) async -> [UInt8]? {
        switch IncomingFrame.decode(frame, limits: options.limits) {
        case .unreadable(let error):
            return JSONRPCMessage.response(.error(nil, error)).serialized()
        case .single(.failure(let invalid)):
            return JSONRPCMessage.response(.error(invalid.id, invalid.error)).serialized()
        case .single(.success(let message)):
            return await handle(message).map { JSONRPCMessage.response($0).serialized() }
        case .batch(let items):
            return await handleBatch(items)
        }
    }

    /// Handles one message. Returns the response for a request, `nil` for a notification,
    /// a response from the client, or a request the client cancelled.
    public func handle(_ message: JSONRPCMessage) async -> JSONRPCMessage.Response? {
        switch message {
        case .request(let request):
            return await respond(to: request)
        case .notification(let notification):
            receive(notification)
            return nil
        case .response:
            return nil  // this server sends no requests, so expects no responses
        }
    }

    private func handleBatch(_ items: [Result<JSONRPCMessage, InvalidEnvelope>]) async -> [UInt8]? {
        let (allowed, version) = gate.withLock { ($0.allowsBatches, $0.negotiated) }
        guard allowed else {
            let why = version.map { "protocol version \($0) does not allow JSON-RPC batches" }
                ?? "JSON-RPC batches need a session initialized with protocol version 2025-03-26 or earlier"
            return JSONRPCMessage.response(.error(nil, JSONRPCError(.invalidRequest, "Invalid request: \(why)"))).serialized()
        }
        let responses = await withTaskGroup(of: (Int, JSONRPCMessage.Response?).self) { group in
            for (index, item) in items.enumerated() {
                group.addImmediateTask {
                    switch item {
                    case .failure(let invalid): return (index, .error(invalid.id, invalid.error))
                    case .success(let message): return (index, await self.handle(message))
                    }
                }
            }
            var collected: [(Int, JSONRPCMessage.Response)] = []
            for await (index, response) in group {
                if let response { collected.append((index, response)) }
            }
            return collected.sorted { $0.0 < $1.0 }.map { JSONRPCMessage.response($0.1).json }
        }
        return responses.isEmpty ? nil : JSONWriter.bytes(.array(responses))
    }

    private func receive(_ notification: JSONRPCMessage.Notification) {
        switch notification.method {
        case MCPMethod.initialized:
            gate.withLock { $0.initializedReceived() }
        case MCPMethod.cancelled:
            if let raw = notification.params?["requestId"], let id = RequestID(raw) {
                inFlight.cancel(id)
            }
        default:
            break  // other notifications need no action from a server
        }
    }

    private func respond(to request: JSONRPCMessage.Request) async -> JSONRPCMessage.Response? {
        if let params = request.params, params.objectValue == nil {
            return .error(request.id, .invalidParams("params must be an object"))
        }
        let params = request.params?.objectValue ?? [:]
        if request.method == MCPMethod.initialize {
            return initialize(request.id, params)
        }
        let metaVersion = params["_meta"]?[MetaKey.protocolVersion]?.stringValue
        let served: EraGate.Served
        switch gate.withLock({ $0.serve(method: request.method, metaVersion: metaVersion) }) {
        case .success(let s): served = s
        case .failure(let error): return .error(request.id, error)
        }
        let id = request.id
        switch request.method {
        case MCPMethod.toolsCall: return await callTool(id, params, served)
        case MCPMethod.toolsList: return listTools(id, params, served)
        case MCPMethod.ping: return .result(id, .object(resultStart(served)))
        case MCPMethod.discover: return discover(id, served)
        case MCPMethod.resourcesList: return listResources(id, params, served)
        case MCPMethod.resourceTemplatesList: return listResourceTemplates(id, params, served)
        case MCPMethod.resourcesRead: return await readResource(id, params, served)
        case MCPMethod.promptsList: return listPrompts(id, params, served)
        case MCPMethod.promptsGet: return await getPrompt(id, params, served)
        case MCPMethod.setLogLevel where !served.isModern: return .result(id, .object([:]))
        default:
            if !gate.withLock({ $0.speaksModern }) {
                return .error(id, EraGate.legacyInvalidRequest)  // what mcp 1.x says to unknown methods
            }
            return .error(id, .methodNotFound(request.method))
        }
    }

    /// The first members of every result: `resultType` in the modern era.
    func resultStart(_ served: EraGate.Served) -> JSONObject {
        served.isModern ? ["resultType": "complete"] : [:]
    }

    /// Adds the cache hints modern cacheable results carry.
    func addCacheHints(_ o: inout JSONObject, _ served: EraGate.Served) {
        guard served.isModern else { return }
        o["ttlMs"] = .int(Int64(options.cacheTTLMs))
        o["cacheScope"] = .string(options.cacheScope.rawValue)
    }
}
