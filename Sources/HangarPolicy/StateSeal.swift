import Crypto
import Foundation
import HangarCore

/// Integrity for state a client carries between requests (the `requestState` of a multi
/// round-trip request): `base64url(payload).base64url(HMAC-SHA256(payload))`, with an expiry and
/// the principal inside, checked on the way back. The key lives in memory: state outlives
/// neither the daemon nor the requests it refers to.
public struct StateSeal: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey = SymmetricKey(size: .bits256)) {
        self.key = key
    }

    /// Seals `payload` for `principal` until `expiresMs` (milliseconds since 1970).
    public func seal(_ payload: JSONObject, principal: String, expiresMs: Int64) -> String {
        var object = payload
        object["p"] = .string(principal)
        object["e"] = .int(expiresMs)
        let bytes = Data(JSONWriter.bytes(.object(object)))
        let mac = Data(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
        return Self.base64url(bytes) + "." + Self.base64url(mac)
    }

    public enum Failure: Error, Sendable, Equatable {
        case malformed, forged, expired, otherPrincipal
    }

    /// The payload, if the state is intact, unexpired and was sealed for `principal`.
    public func open(_ state: String, principal: String, nowMs: Int64 = WallClock.milliseconds()) -> Result<JSONObject, Failure> {
        let parts = state.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, state.utf8.count <= 8192, let bytes = Self.data(base64url: parts[0]), let mac = Self.data(base64url: parts[1]) else {
            return .failure(.malformed)
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: bytes, using: key) else { return .failure(.forged) }
        guard let object = (try? JSONParser.parse(Array(bytes), limits: .upstream))?.objectValue,
              let expires = object["e"]?.intValue, let owner = object["p"]?.stringValue else { return .failure(.malformed) }
        guard nowMs <= expires else { return .failure(.expired) }
        guard owner == principal else { return .failure(.otherPrincipal) }
        return .success(object)
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64url text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
