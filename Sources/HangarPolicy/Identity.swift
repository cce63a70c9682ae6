/// What an identity may do beyond calling the tools its permissions allow.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Everything, including keys, secrets and the audit log.
    case admin
    /// Runs the servers (start, stop, logs) and calls tools; no keys or secrets.
    case `operator`
    /// Calls the tools its permissions allow.
    case user

    private var rank: Int {
        switch self {
        case .admin: return 2
        case .operator: return 1
        case .user: return 0
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    /// True when this role includes everything `other` may do.
    public func includes(_ other: Role) -> Bool { self >= other }
}

/// Who is making a request, as established by authentication.
public struct Identity: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// A loopback client under `--auth local`, or the configured stdio identity.
        case local
        case apiKey = "key"
        case jwt
        /// An instance token; opens only that instance.
        case instance
    }
    public var kind: Kind
    /// Key id, JWT subject, instance id, or the local identity's name.
    public var id: String
    public var role: Role

    public init(kind: Kind, id: String, role: Role) {
        self.kind = kind
        self.id = id
        self.role = role
    }

    /// The local administrator: loopback clients under `--auth local`.
    public static let localAdmin = Identity(kind: .local, id: "local", role: .admin)

    /// The name used in audit records and rate-limit keys: `key:ID`, `jwt:SUB`, `local`, ...
    public var name: String { kind == .local ? (id == "local" ? "local" : "local:\(id)") : "\(kind.rawValue):\(id)" }

    public var description: String { "\(name) (\(role.rawValue))" }
}
