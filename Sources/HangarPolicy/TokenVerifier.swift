import Foundation
import JWTKit

/// Hangar as an OAuth 2.1 resource server: checks bearer JWTs (HS256, RS256, ES256) against
/// configured keys, issuer, audience, expiry and not-before, and maps them to an identity.
/// Tokens are only checked, never forwarded upstream.
public struct OAuthSettings: Sendable, Hashable {
    /// Required `iss`.
    public var issuer: String
    /// Required member of `aud`: this gateway's resource URL.
    public var audience: String
    /// Authorization servers advertised in the protected resource metadata (RFC 9728).
    public var authorizationServers: [String]
    /// Shared secret for HS256 tokens (may be `${secret:NAME}`).
    public var hmacSecret: String?
    /// A JWKS document (RS256 / ES256 public keys): a file path or an https URL.
    public var jwks: String?
    /// The claim that names the caller's role (`admin`, `operator`, `user`); default `hangar_role`.
    /// Without it, a `scope` containing `hangar:admin` or `hangar:operator` decides; else `user`.
    public var roleClaim: String
    /// Clock skew tolerated on `exp` and `nbf`.
    public var leewaySeconds: Int
    public var scopesSupported: [String]

    public init(issuer: String, audience: String, authorizationServers: [String] = [], hmacSecret: String? = nil,
                jwks: String? = nil, roleClaim: String = "hangar_role", leewaySeconds: Int = 30,
                scopesSupported: [String] = ["hangar:user", "hangar:operator", "hangar:admin"]) {
        self.issuer = issuer
        self.audience = audience
        self.authorizationServers = authorizationServers.isEmpty ? [issuer] : authorizationServers
        self.hmacSecret = hmacSecret
        self.jwks = jwks
        self.roleClaim = roleClaim
        self.leewaySeconds = leewaySeconds
        self.scopesSupported = scopesSupported
    }
}

public final class TokenVerifier: Sendable {
    public let settings: OAuthSettings
    private let keys: JWTKeyCollection

    /// `hmacSecret` is the resolved HS256 secret; `jwksJSON` the loaded key set.
    public init(settings: OAuthSettings, hmacSecret: String?, jwksJSON: String?) async throws {
        self.settings = settings
        let keys = JWTKeyCollection()
        if let hmacSecret {
            guard hmacSecret.utf8.count >= 32 else {
                throw PolicyError(.invalid, "oauth.hmacSecret must be at least 32 bytes")
            }
            await keys.add(hmac: HMACKey(from: hmacSecret), digestAlgorithm: .sha256)
        }
        if let jwksJSON {
            do {
                try await keys.add(jwksJSON: jwksJSON)
            } catch {
                throw PolicyError(.invalid, "oauth.jwks is not a usable JWKS document: \(error)")
            }
        }
        guard hmacSecret != nil || jwksJSON != nil else {
            throw PolicyError(.invalid, "oauth needs hmacSecret or jwks to check tokens with")
        }
        self.keys = keys
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim?
        var aud: AudienceClaim?
        var exp: ExpirationClaim?
        var nbf: NotBeforeClaim?
        var sub: SubjectClaim?
        var scope: String?
        var extra: [String: String]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            iss = try c.decodeIfPresent(IssuerClaim.self, forKey: Key(stringValue: "iss"))
            aud = try c.decodeIfPresent(AudienceClaim.self, forKey: Key(stringValue: "aud"))
            exp = try c.decodeIfPresent(ExpirationClaim.self, forKey: Key(stringValue: "exp"))
            nbf = try c.decodeIfPresent(NotBeforeClaim.self, forKey: Key(stringValue: "nbf"))
            sub = try c.decodeIfPresent(SubjectClaim.self, forKey: Key(stringValue: "sub"))
            scope = try? c.decodeIfPresent(String.self, forKey: Key(stringValue: "scope"))
            extra = [:]
            for key in c.allKeys where !["iss", "aud", "exp", "nbf", "sub", "scope"].contains(key.stringValue) {
                if let s = try? c.decode(String.self, forKey: key) { extra[key.stringValue] = s }
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encodeIfPresent(iss, forKey: Key(stringValue: "iss"))
            try c.encodeIfPresent(aud, forKey: Key(stringValue: "aud"))
            try c.encodeIfPresent(exp, forKey: Key(stringValue: "exp"))
            try c.encodeIfPresent(nbf, forKey: Key(stringValue: "nbf"))
            try c.encodeIfPresent(sub, forKey: Key(stringValue: "sub"))
            try c.encodeIfPresent(scope, forKey: Key(stringValue: "scope"))
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The identity a bearer token stands for, or an `.unauthenticated` error saying which
    /// check failed (never echoing the token).
    public func verify(_ token: String, now: Date = Date()) async throws(PolicyError) -> Identity {
        guard token.utf8.count <= 16 << 10, token.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw PolicyError(.unauthenticated, "malformed bearer token")
        }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch {
            throw PolicyError(.unauthenticated, "the token's signature or algorithm is not accepted")
        }
        guard claims.iss?.value == settings.issuer else {
            throw PolicyError(.unauthenticated, "the token was not issued by \(settings.issuer)")
        }
        guard let aud = claims.aud, aud.value.contains(settings.audience) else {
            throw PolicyError(.unauthenticated, "the token is not meant for this gateway (audience \(settings.audience))")
        }
        let leeway = TimeInterval(settings.leewaySeconds)
        guard let exp = claims.exp else { throw PolicyError(.unauthenticated, "the token has no expiry") }
        guard now.timeIntervalSince(exp.value) < leeway else { throw PolicyError(.unauthenticated, "the token has expired") }
        if let nbf = claims.nbf, nbf.value.timeIntervalSince(now) > leeway {
            throw PolicyError(.unauthenticated, "the token is not valid yet")
        }
        guard let subject = claims.sub?.value, !subject.isEmpty else { throw PolicyError(.unauthenticated, "the token has no subject") }
        return Identity(kind: .jwt, id: subject, role: role(of: claims))
    }

    private func role(of claims: Claims) -> Role {
        if let named = claims.extra[settings.roleClaim], let role = Role(rawValue: named) { return role }
        let scopes = Set((claims.scope ?? "").split(separator: " ").map(String.init))
        if scopes.contains("hangar:admin") { return .admin }
        if scopes.contains("hangar:operator") { return .operator }
        return .user
    }
}
