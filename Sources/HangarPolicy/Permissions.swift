/// Which identities may see and call which tools. Rules are checked in order and the first
/// that matches decides; when none matches, `defaultEffect` does. Admins may always do
/// everything. A tool an identity may not call is also absent from its lists.
///
/// ```yaml
/// permissions:
///   default: allow            # or deny
///   rules:
///     - {roles: [user], servers: [git], effect: deny}
///     - {identities: ["key:key_ab12"], tools: ["time__*"], effect: allow}
/// ```
public struct Permissions: Sendable, Hashable {
    public enum Effect: String, Sendable, Hashable {
        case allow, deny
    }

    public struct Rule: Sendable, Hashable {
        /// Roles the rule applies to; empty = every role.
        public var roles: [Role]
        /// Identity names (`key:ID`, `jwt:SUBJECT`, `local`); empty = everyone.
        public var identities: [String]
        /// Server names; empty = every server.
        public var servers: [String]
        /// Exposed tool names, with `*` and `?` wildcards; empty = every tool.
        public var tools: [String]
        public var effect: Effect

        public init(roles: [Role] = [], identities: [String] = [], servers: [String] = [], tools: [String] = [], effect: Effect) {
            self.roles = roles
            self.identities = identities
            self.servers = servers
            self.tools = tools
            self.effect = effect
        }

        func matches(_ identity: Identity, server: String, tool: String) -> Bool {
            (roles.isEmpty || roles.contains(identity.role))
                && (identities.isEmpty || identities.contains(identity.name))
                && (servers.isEmpty || servers.contains(server))
                && (tools.isEmpty || tools.contains { Glob.matches($0, tool) })
        }

        func applies(to identity: Identity) -> Bool {
            (roles.isEmpty || roles.contains(identity.role)) && (identities.isEmpty || identities.contains(identity.name))
        }
    }

    public var defaultEffect: Effect
    public var rules: [Rule]

    public init(defaultEffect: Effect = .allow, rules: [Rule] = []) {
        self.defaultEffect = defaultEffect
        self.rules = rules
    }

    /// May `identity` see and call `tool` (an exposed name) of `server`?
    public func allows(_ identity: Identity, server: String, tool: String) -> Bool {
        if identity.role == .admin { return true }
        for rule in rules where rule.matches(identity, server: server, tool: tool) {
            return rule.effect == .allow
        }
        return defaultEffect == .allow
    }

    /// A key naming everything that decides what `identity` sees: identities that share it see
    /// the same lists, so list answers can be cached per view. "all" when nothing is hidden.
    public func view(of identity: Identity) -> String {
        if identity.role == .admin { return "all" }
        let applicable = rules.indices.filter { rules[$0].applies(to: identity) }
        if applicable.isEmpty && defaultEffect == .allow { return "all" }
        return "\(defaultEffect.rawValue):" + applicable.map(String.init).joined(separator: ",")
    }
}

/// Shell-style wildcards: `*` any run of characters, `?` one character.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == text }
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
