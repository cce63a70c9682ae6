/// What arrived in one transport frame (a line on stdio, a body on HTTP): one message,
/// a batch, or bytes that are not JSON-RPC at all.
public enum IncomingFrame: Sendable {
    case single(Result<JSONRPCMessage, InvalidEnvelope>)
    case batch([Result<JSONRPCMessage, InvalidEnvelope>])
    /// Not JSON, or over a limit: answer with this error and a null id.
    case unreadable(JSONRPCError)

    public static func decode(_ bytes: some Collection<UInt8>, limits: JSONLimits) -> IncomingFrame {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: limits)
        } catch {
            return .unreadable(.parse(error))
        }
        return decode(value, limits: limits)
    }

    public static func decode(_ value: JSONValue, limits: JSONLimits) -> IncomingFrame {
        if case .array(let elements) = value {
            if elements.isEmpty {
                return .unreadable(JSONRPCError(.invalidRequest, "Invalid request: empty batch"))
            }
            if elements.count > limits.maxBatchCount {
                return .unreadable(JSONRPCError(.invalidRequest, "Invalid request: batch of \(elements.count) messages is over the limit of \(limits.maxBatchCount)"))
            }
            return .batch(elements.map(Self.envelope))
        }
        return .single(envelope(value))
    }

    private static func envelope(_ value: JSONValue) -> Result<JSONRPCMessage, InvalidEnvelope> {
        do { return .success(try JSONRPCMessage(json: value)) } catch { return .failure(error) }
    }
}
