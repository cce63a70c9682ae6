import HangarCore

/// One live connection to an upstream: one process incarnation (stdio) or one HTTP session.
/// The era is fixed once the probe is done.
protocol UpstreamSession: Sendable {
    var handshake: Handshake { get }
    /// Sends a request and waits for its answer. Throws `UpstreamError`.
    func request(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?, ask: ServerRequestHandler?) async throws -> JSONValue
    /// The same, with an object result kept as the text it came as where the session can.
    func requestKeepingText(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?,
                            ask: ServerRequestHandler?) async throws -> UpstreamResult
    func notify(_ method: String, params: JSONValue?) async
    /// Background work for the session's lifetime (streams to listen on); returns when the session ends.
    func run() async -> String
    func close() async
}

extension UpstreamSession {
    func requestKeepingText(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?,
                            ask: ServerRequestHandler?) async throws -> UpstreamResult {
        .value(try await request(method, params: params, timeout: timeout, sink: sink, ask: ask))
    }
}

/// An upstream's result: parsed, or (an object) kept as the text it came as, to pass on unparsed.
public enum UpstreamResult: Sendable {
    case value(JSONValue)
    case text(RawJSONObject)

    /// The result as a value (parsing text).
    public var value: JSONValue {
        switch self {
        case .value(let value): value
        case .text(let raw): raw.value
        }
    }

    /// One member of the result (parsing only that member of text).
    public subscript(key: String) -> JSONValue? {
        switch self {
        case .value(let value): value[key]
        case .text(let raw): raw[key]
        }
    }

    /// Its size in bytes: text as received, a value as `JSONWriter` would write it.
    public var byteCount: Int {
        switch self {
        case .value(let value): JSONWriter.byteCount(value)
        case .text(let raw): raw.bytes.count
        }
    }
}

/// What the era probe and handshake learned about the upstream.
public struct Handshake: Sendable {
    public var era: ProtocolEra
    public var version: String
    public var capabilities: JSONValue
    public var serverInfo: JSONValue?
    public var instructions: String?
}

/// Identity and capabilities Hangar presents to upstreams.
enum ClientIdentity {
    static let info: JSONValue = ["name": "hangar", "version": "0.1.0"]
    /// What a legacy upstream hears at `initialize`, once for every client: its requests are
    /// answered by Hangar (roots) or put to the client that made the call, if that client
    /// declared the capability (input_required for a modern one), and refused otherwise.
    static let capabilities: JSONValue = ["roots": ["listChanged": false], "elicitation": ["form": [:]], "sampling": [:]]

    /// `params` as the upstream's era wants them: modern adds the per-request `_meta`;
    /// legacy drops modern `_meta` keys a modern client may have sent.
    ///
    /// A modern upstream hears the capabilities of the client that made the request: its
    /// `input_required` answers pass through Hangar to that client unchanged, so what the
    /// client can answer is what the upstream may ask. A request without them (a legacy
    /// client's, which cannot be given input_required through Hangar, or Hangar's own)
    /// declares none, so the upstream does not ask what nobody will answer.
    ///
    /// The params are taken, not copied: members change in place.
    static func shape(_ params: consuming JSONValue?, era: ProtocolEra, version: String) -> JSONValue {
        var object: JSONObject = [:]
        if case .object(let o)? = consume params { object = o }
        object.modifyObject("_meta") { meta in
            switch era {
            case .modern:
                meta[MetaKey.protocolVersion] = .string(version)
                if meta[MetaKey.clientCapabilities]?.objectValue == nil { meta[MetaKey.clientCapabilities] = [:] }
                meta[MetaKey.clientInfo] = info
            case .legacy:
                for key in meta.keys where key.hasPrefix("io.modelcontextprotocol/") { meta.removeValue(forKey: key) }
            }
        }
        if object["_meta"]?.objectValue?.isEmpty == true { object.removeValue(forKey: "_meta") }
        return .object(object)
    }

    static var initializeParams: JSONValue {
        ["protocolVersion": .string(ProtocolVersion.latestLegacy), "capabilities": capabilities, "clientInfo": info]
    }

    static var discoverParams: JSONValue { shape(nil, era: .modern, version: ProtocolVersion.modern) }

    /// Reads a `server/discover` answer: modern if it lists a version we speak.
    static func modernHandshake(from result: JSONValue) -> Handshake? {
        guard let versions = result["supportedVersions"]?.arrayValue?.compactMap(\.stringValue),
              let version = versions.first(where: { ProtocolVersion.era(of: $0) == .modern })
        else { return nil }
        return Handshake(era: .modern, version: version, capabilities: result["capabilities"] ?? [:],
                         serverInfo: result["_meta"]?[MetaKey.serverInfo] ?? result["serverInfo"],
                         instructions: result["instructions"]?.stringValue)
    }

    static func legacyHandshake(from result: JSONValue) -> Handshake {
        Handshake(era: .legacy, version: result["protocolVersion"]?.stringValue ?? ProtocolVersion.latestLegacy,
                  capabilities: result["capabilities"] ?? [:], serverInfo: result["serverInfo"],
                  instructions: result["instructions"]?.stringValue)
    }

    /// The answer to a request an upstream sends us (legacy servers may ask the client things).
    static func answer(serverRequest method: String) -> Result<JSONValue, JSONRPCError> {
        switch method {
        case MCPMethod.ping: return .success([:])
        case MCPMethod.rootsList: return .success(["roots": []])
        default: return .failure(JSONRPCError(.methodNotFound, "Hangar does not forward '\(method)' from upstream servers"))
        }
    }
}
