/// One JSON-RPC 2.0 message. `params` and `result` stay raw JSON, so fields Hangar does not
/// know pass through unchanged; envelope members it does not know are kept in `extra`.
public enum JSONRPCMessage: Sendable, Hashable {
    case request(Request)
    case notification(Notification)
    case response(Response)

    public struct Request: Sendable, Hashable {
        public var id: RequestID
        public var method: String
        public var params: JSONValue?
        public var extra: JSONObject

        public init(id: RequestID, method: String, params: JSONValue? = nil, extra: JSONObject = [:]) {
            self.id = id
            self.method = method
            self.params = params
            self.extra = extra
        }
    }

    public struct Notification: Sendable, Hashable {
        public var method: String
        public var params: JSONValue?
        public var extra: JSONObject

        public init(method: String, params: JSONValue? = nil, extra: JSONObject = [:]) {
            self.method = method
            self.params = params
            self.extra = extra
        }
    }

    public struct Response: Sendable, Hashable {
        /// `nil` only for an error about a request whose id could not be read.
        public var id: RequestID?
        /// The result or the error. A result passed through as text is parsed to read it here;
        /// `error` and `rawResult` read the response without that.
        public var outcome: Result<JSONValue, JSONRPCError> {
            get {
                switch payload {
                case .outcome(let outcome): outcome
                case .raw(let raw): .success(raw.value)
                }
            }
            set { payload = .outcome(newValue) }
        }
        public var extra: JSONObject
        private var payload: Payload

        private enum Payload: Sendable {
            case outcome(Result<JSONValue, JSONRPCError>)
            case raw(RawJSONObject)
        }

        public init(id: RequestID?, outcome: Result<JSONValue, JSONRPCError>, extra: JSONObject = [:]) {
            self.id = id
            self.payload = .outcome(outcome)
            self.extra = extra
        }

        /// A result that is written out as the text it came as.
        public init(id: RequestID, raw: RawJSONObject) {
            self.id = id
            self.payload = .raw(raw)
            self.extra = [:]
        }

        /// The error, if the response is one.
        public var error: JSONRPCError? {
            if case .outcome(.failure(let error)) = payload { return error }
            return nil
        }

        /// The result, when it is kept as text.
        public var rawResult: RawJSONObject? {
            if case .raw(let raw) = payload { return raw }
            return nil
        }

        public static func == (a: Response, b: Response) -> Bool {
            a.id == b.id && a.outcome == b.outcome && a.extra == b.extra
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(id)
            hasher.combine(outcome)
            hasher.combine(extra)
        }

        public static func result(_ id: RequestID, _ result: JSONValue) -> Response {
            Response(id: id, outcome: .success(result))
        }
        public static func error(_ id: RequestID?, _ error: JSONRPCError) -> Response {
            Response(id: id, outcome: .failure(error))
        }
    }
}

/// Why a JSON value is not a JSON-RPC message; carries the id when it could be read,
/// so the error response can name the request.
public struct InvalidEnvelope: Error, Sendable {
    public let id: RequestID?
    public let error: JSONRPCError
}

extension JSONRPCMessage {
    private static let envelopeKeys: Set<String> = ["jsonrpc", "id", "method", "params", "result", "error"]

    /// Reads a message from a JSON value, checking the envelope strictly.
    public init(json: JSONValue) throws(InvalidEnvelope) {
        guard case .object(let o) = json else {
            throw InvalidEnvelope(id: nil, error: JSONRPCError(.invalidRequest, "Invalid request: a JSON-RPC message must be an object, got \(json.typeName)"))
        }
        // One pass over the members: the envelope's own, and the rest kept in `extra` in order.
        var version: JSONValue?, rawID: JSONValue?, method: JSONValue?, params: JSONValue?
        var result: JSONValue?, errorValue: JSONValue?
        var extra = JSONObject()
        for (key, value) in o {
            switch key {
            case "jsonrpc": version = value
            case "id": rawID = value
            case "method": method = value
            case "params": params = value
            case "result": result = value
            case "error": errorValue = value
            default: extra[key] = value
            }
        }
        let id = rawID.flatMap(RequestID.init)
        func invalid(_ message: String) -> InvalidEnvelope {
            InvalidEnvelope(id: id, error: JSONRPCError(.invalidRequest, "Invalid request: \(message)"))
        }
        guard case .string("2.0")? = version else { throw invalid("\"jsonrpc\" must be \"2.0\"") }
        if let rawID, id == nil, !rawID.isNull { throw invalid("\"id\" must be a string or an integer") }

        if let method {
            guard case .string(let name) = method else { throw invalid("\"method\" must be a string") }
            if let params, params.objectValue == nil, params.arrayValue == nil {
                throw invalid("\"params\" must be an object or an array")
            }
            if result != nil || errorValue != nil { throw invalid("a request cannot carry \"result\" or \"error\"") }
            if rawID == nil {
                self = .notification(Notification(method: name, params: params, extra: extra))
            } else {
                guard let id else { throw invalid("\"id\" of a request must be a string or an integer, not null") }
                self = .request(Request(id: id, method: name, params: params, extra: extra))
            }
            return
        }
        guard rawID != nil else { throw invalid("a message needs \"method\" or \"id\"") }
        if let result {
            guard errorValue == nil else { throw invalid("a response cannot carry both \"result\" and \"error\"") }
            guard let id else { throw invalid("a result response needs a string or integer \"id\"") }
            self = .response(Response(id: id, outcome: .success(result), extra: extra))
        } else if let errorValue {
            guard let error = JSONRPCError(json: errorValue) else { throw invalid("\"error\" must be an object with an integer \"code\"") }
            self = .response(Response(id: id, outcome: .failure(error), extra: extra))
        } else {
            throw invalid("a response needs \"result\" or \"error\"")
        }
    }

    public var json: JSONValue {
        var o = JSONObject()
        o["jsonrpc"] = "2.0"
        switch self {
        case .request(let r):
            o["id"] = r.id.json
            o["method"] = .string(r.method)
            if let p = r.params { o["params"] = p }
            for (k, v) in r.extra { o[k] = v }
        case .notification(let n):
            o["method"] = .string(n.method)
            if let p = n.params { o["params"] = p }
            for (k, v) in n.extra { o[k] = v }
        case .response(let r):
            o["id"] = r.id?.json ?? .null
            switch r.outcome {
            case .success(let v): o["result"] = v
            case .failure(let e): o["error"] = e.json
            }
            for (k, v) in r.extra { o[k] = v }
        }
        return .object(o)
    }

    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    /// Appends the same bytes as `JSONWriter.write(json, into:)` without building the envelope
    /// as a value first.
    public func write(into out: inout [UInt8]) {
        let extra: JSONObject
        switch self {
        case .request(let r): extra = r.extra
        case .notification(let n): extra = n.extra
        case .response(let r): extra = r.extra
        }
        // An envelope member in `extra` replaces the one in place: the value's own order decides.
        if !extra.isEmpty, extra.keys.contains(where: Self.envelopeKeys.contains) {
            JSONWriter.write(json, into: &out)
            return
        }
        func member(_ key: StaticString, _ value: JSONValue) {
            out.append(UInt8(ascii: ","))
            key.withUTF8Buffer { out.append(contentsOf: $0) }
            JSONWriter.write(value, into: &out)
        }
        (#"{"jsonrpc":"2.0""# as StaticString).withUTF8Buffer { out.append(contentsOf: $0) }
        switch self {
        case .request(let r):
            member(#""id":"#, r.id.json)
            member(#""method":"#, .string(r.method))
            if let p = r.params { member(#""params":"#, p) }
        case .notification(let n):
            member(#""method":"#, .string(n.method))
            if let p = n.params { member(#""params":"#, p) }
        case .response(let r):
            member(#""id":"#, r.id?.json ?? .null)
            if let raw = r.rawResult {
                (#","result":"# as StaticString).withUTF8Buffer { out.append(contentsOf: $0) }
                out.append(contentsOf: raw.bytes)
            } else {
                switch r.outcome {
                case .success(let v): member(#""result":"#, v)
                case .failure(let e): member(#""error":"#, e.json)
                }
            }
        }
        for (k, v) in extra {
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.write(v, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    public var method: String? {
        switch self {
        case .request(let r): return r.method
        case .notification(let n): return n.method
        case .response: return nil
        }
    }
}

extension RawJSONObject {
    /// The id of a JSON-RPC response whose result is an object and that has no members but
    /// `jsonrpc` ("2.0" as written), `id` and `result`; nil for any other message.
    public var resultResponseID: JSONValue? {
        guard members.count == 3, member("jsonrpc", isWritten: #""2.0""#), isObject("result") else { return nil }
        return self["id"]
    }
}
