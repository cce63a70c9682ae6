import HangarCore

extension Gateway {
    public static let listMethods: Set<String> = [MCPMethod.toolsList, MCPMethod.promptsList, MCPMethod.resourcesList, MCPMethod.resourceTemplatesList]

    /// The serialized response to a list request. The result bytes are cached per catalog
    /// version, era and cursor, so a list of 10,000 tools is spliced, not re-encoded, per call.
    /// Nil for anything that is not a list request.
    public func listResponse(_ request: JSONRPCMessage.Request, context: RequestContext) async -> [UInt8]? {
        guard Self.listMethods.contains(request.method) else { return nil }
        if context.era == .modern, (try? Self.checkModernMeta(request.params)) == nil { return nil }
        var view = request.method == MCPMethod.toolsList ? policy.config.permissions.view(of: context.identity) : "all"
        if let only = context.server { view += "|server:" + only }
        let key = ListCacheKey(era: context.era, method: request.method, cursor: request.params?["cursor"]?.stringValue, view: view)
        if let cached = cachedList(key) { return Self.envelope(id: request.id, result: cached) }
        let generation = catalogGeneration
        let response = await handle(request, context: context)
        guard case .success(let result) = response.outcome else { return JSONRPCMessage.response(response).serialized() }
        let bytes = JSONWriter.bytes(result)
        storeList(key, bytes, generation: generation)
        return Self.envelope(id: request.id, result: bytes)
    }

    /// Encodes the first page of every list for both eras, so the first client after a change
    /// does not pay for it.
    func warmListCache() async {
        for era in [ProtocolEra.modern, .legacy] {
            let version = era == .modern ? ProtocolVersion.modern : ProtocolVersion.latestLegacy
            let meta: JSONValue = [MetaKey.protocolVersion: .string(version), MetaKey.clientCapabilities: [:]]
            for method in Self.listMethods {
                let request = JSONRPCMessage.Request(id: .int(0), method: method, params: era == .modern ? ["_meta": meta] : nil)
                _ = await listResponse(request, context: RequestContext(era: era, protocolVersion: version))
            }
        }
    }

    static func envelope(id: RequestID, result: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(result.count + 48)
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONWriter.write(id.json, into: &out)
        out.append(contentsOf: #","result":"#.utf8)
        out.append(contentsOf: result)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

struct ListCacheKey: Hashable, Sendable {
    var era: ProtocolEra
    var method: String
    var cursor: String?
    /// Which tools the caller may see (`Permissions.view(of:)`).
    var view: String
}
