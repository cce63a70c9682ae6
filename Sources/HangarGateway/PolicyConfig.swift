import HangarCore
import HangarPolicy

/// The `policy` section of the config file: who gets in, what they may call, how often, and
/// how tool calls are checked. Every key is documented in README.md ("Policy").
public struct PolicyConfig: Sendable {
    public enum AuthMode: String, Sendable, Hashable, CaseIterable {
        /// Loopback clients without credentials act as the local admin (loopback addresses only).
        case local
        /// Every request needs an API key or a bearer token.
        case required
    }

    public var auth: AuthMode = .local
    /// The identity `hangar stdio` acts as.
    public var stdioIdentity = Identity.localAdmin
    public var permissions = Permissions()
    public var rateLimits = RateLimiter.Limits()
    public var pinning: ToolPinning.Mode = .warn
    /// Largest `arguments` of a tools/call, serialized (default 1 MiB).
    public var maxArgumentBytes = 1 << 20
    /// Largest tools/call result, serialized (default 1 MiB).
    public var maxResultBytes = 1 << 20
    /// Check arguments against `inputSchema` and `structuredContent` against `outputSchema`.
    public var validateSchemas = true
    public var oauth: OAuthSettings?
    /// Failed authentications allowed per client address per minute before it gets 429.
    public var maxAuthFailuresPerMinute = 10

    public init() {}
}

extension PolicyConfig {
    static func parse(_ value: JSONValue) throws -> PolicyConfig {
        guard case .object(let o) = value else { throw ConfigError("\"policy\" must be an object") }
        var p = PolicyConfig()
        for (key, v) in o {
            switch key {
            case "auth":
                guard let s = v.stringValue, let mode = AuthMode(rawValue: s) else { throw ConfigError("policy.auth must be \"local\" or \"required\"") }
                p.auth = mode
            case "stdioIdentity":
                let name = v["name"]?.stringValue ?? "stdio"
                let role = try parseRole(v["role"] ?? "admin", "policy.stdioIdentity.role")
                p.stdioIdentity = Identity(kind: .local, id: name, role: role)
            case "permissions": p.permissions = try parsePermissions(v)
            case "rateLimits": p.rateLimits = try parseLimits(v)
            case "pinning":
                guard let s = v.stringValue, let mode = ToolPinning.Mode(rawValue: s) else {
                    throw ConfigError("policy.pinning must be \"off\", \"warn\" or \"strict\"")
                }
                p.pinning = mode
            case "maxArgumentBytes": p.maxArgumentBytes = try positiveInt(v, "policy.maxArgumentBytes")
            case "maxResultBytes": p.maxResultBytes = try positiveInt(v, "policy.maxResultBytes")
            case "maxAuthFailuresPerMinute": p.maxAuthFailuresPerMinute = try positiveInt(v, "policy.maxAuthFailuresPerMinute")
            case "validateSchemas":
                guard let b = v.boolValue else { throw ConfigError("policy.validateSchemas must be true or false") }
                p.validateSchemas = b
            case "oauth": p.oauth = try parseOAuth(v)
            default: throw ConfigError("unknown key policy.\(key)")
            }
        }
        return p
    }

    private static func positiveInt(_ v: JSONValue, _ key: String) throws -> Int {
        guard let i = v.intValue, i > 0 else { throw ConfigError("\(key) must be a positive integer") }
        return Int(i)
    }

    private static func parseRole(_ v: JSONValue, _ key: String) throws -> Role {
        guard let s = v.stringValue, let role = Role(rawValue: s) else { throw ConfigError("\(key) must be admin, operator or user") }
        return role
    }

    private static func strings(_ v: JSONValue?, _ key: String) throws -> [String] {
        guard let v else { return [] }
        if let s = v.stringValue { return [s] }
        guard let list = v.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else { throw ConfigError("\(key) must be a list of strings") }
        return list.compactMap(\.stringValue)
    }

    private static func parsePermissions(_ v: JSONValue) throws -> Permissions {
        guard case .object(let o) = v else { throw ConfigError("policy.permissions must be an object") }
        var p = Permissions()
        for key in o.keys where !["default", "rules"].contains(key) { throw ConfigError("unknown key policy.permissions.\(key)") }
        if let d = o["default"] {
            guard let s = d.stringValue, let e = Permissions.Effect(rawValue: s) else { throw ConfigError("policy.permissions.default must be allow or deny") }
            p.defaultEffect = e
        }
        for (i, r) in (o["rules"]?.arrayValue ?? []).enumerated() {
            let at = "policy.permissions.rules[\(i)]"
            guard case .object(let ro) = r else { throw ConfigError("\(at) must be an object") }
            for key in ro.keys where !["roles", "identities", "servers", "tools", "effect"].contains(key) {
                throw ConfigError("unknown key \(at).\(key)")
            }
            guard let s = ro["effect"]?.stringValue, let effect = Permissions.Effect(rawValue: s) else {
                throw ConfigError("\(at).effect must be allow or deny")
            }
            let roles = try strings(ro["roles"], "\(at).roles").map { name -> Role in
                guard let role = Role(rawValue: name) else { throw ConfigError("\(at).roles: unknown role \(name)") }
                return role
            }
            p.rules.append(Permissions.Rule(roles: roles, identities: try strings(ro["identities"], "\(at).identities"),
                                            servers: try strings(ro["servers"], "\(at).servers"),
                                            tools: try strings(ro["tools"], "\(at).tools"), effect: effect))
        }
        return p
    }

    private static func parseRate(_ v: JSONValue, _ key: String) throws -> RateLimiter.Rate {
        guard let perSecond = v["perSecond"]?.doubleValue ?? v["perMinute"]?.doubleValue.map({ $0 / 60 }), perSecond > 0 else {
            throw ConfigError("\(key) needs perSecond (or perMinute), a positive number")
        }
        let burst = v["burst"]?.doubleValue
        if let burst, burst < 1 { throw ConfigError("\(key).burst must be at least 1") }
        return RateLimiter.Rate(perSecond: perSecond, burst: burst)
    }

    private static func parseLimits(_ v: JSONValue) throws -> RateLimiter.Limits {
        guard case .object(let o) = v else { throw ConfigError("policy.rateLimits must be an object") }
        var l = RateLimiter.Limits()
        for (key, value) in o {
            let at = "policy.rateLimits.\(key)"
            switch key {
            case "perIdentity": l.perIdentity = try parseRate(value, at)
            case "perTool": l.perTool = try parseRate(value, at)
            case "perServer": l.perServer = try parseRate(value, at)
            case "concurrentPerIdentity": l.concurrentPerIdentity = try positiveInt(value, at)
            case "tools":
                guard case .object(let tools) = value else { throw ConfigError("\(at) must be an object of TOOL: rate") }
                for (tool, rate) in tools { l.tools[tool] = try parseRate(rate, "\(at).\(tool)") }
            default: throw ConfigError("unknown key \(at)")
            }
        }
        return l
    }

    private static func parseOAuth(_ v: JSONValue) throws -> OAuthSettings {
        guard case .object(let o) = v else { throw ConfigError("policy.oauth must be an object") }
        for key in o.keys where !["issuer", "audience", "authorizationServers", "hmacSecret", "jwks", "roleClaim", "leewaySeconds"].contains(key) {
            throw ConfigError("unknown key policy.oauth.\(key)")
        }
        guard let issuer = o["issuer"]?.stringValue, !issuer.isEmpty else { throw ConfigError("policy.oauth.issuer is required") }
        guard let audience = o["audience"]?.stringValue, !audience.isEmpty else {
            throw ConfigError("policy.oauth.audience is required: this gateway's URL, e.g. http://127.0.0.1:8700/mcp")
        }
        var s = OAuthSettings(issuer: issuer, audience: audience, authorizationServers: try strings(o["authorizationServers"], "policy.oauth.authorizationServers"),
                              hmacSecret: o["hmacSecret"]?.stringValue, jwks: o["jwks"]?.stringValue)
        if let c = o["roleClaim"]?.stringValue { s.roleClaim = c }
        if let l = o["leewaySeconds"] { s.leewaySeconds = try positiveInt(l, "policy.oauth.leewaySeconds") }
        if s.hmacSecret == nil && s.jwks == nil { throw ConfigError("policy.oauth needs hmacSecret or jwks") }
        return s
    }
}
