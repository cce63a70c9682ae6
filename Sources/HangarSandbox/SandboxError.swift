/// Why a sandbox could not be prepared, started or cleaned up.
public struct SandboxError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// The spec is malformed (bad id, path, limit or domain).
        public static let invalidSpec = Code("invalidSpec")
        /// No uid left in the workload range.
        public static let uidsExhausted = Code("uidsExhausted")
        /// A cgroup could not be created, limited, joined or removed.
        public static let cgroup = Code("cgroup")
        /// The sandboxed process could not be started.
        public static let spawn = Code("spawn")
        /// The egress proxy could not be put into the sandbox's network.
        public static let egress = Code("egress")
        /// A file operation on the host failed (chown of the server folder, ...).
        public static let hostFiles = Code("hostFiles")
    }

    public let code: Code
    /// What went wrong, without arguments or secrets.
    public let message: String
    /// The path, value or errno behind it (for logs at debug level).
    public let detail: String?

    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var description: String { "sandbox \(code): \(message)" }
    public var debugDescription: String { detail.map { "\(description) (\($0))" } ?? description }
}
