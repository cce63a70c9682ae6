/// Why a supervisor request failed. `description` names the workload and the problem only;
/// it never carries commands, arguments or environment values.
public struct SupervisorError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// No workload has that name.
        case unknownWorkload = "unknown workload"
        /// A workload with that name already exists.
        case duplicateWorkload = "duplicate workload"
        /// The spec cannot run (bad name, empty command, impossible policy).
        case invalidSpec = "invalid spec"
        /// The request does not fit the workload's current state.
        case invalidState = "invalid state"
    }

    public let code: Code
    /// What exactly is wrong, in words a user can act on.
    public let message: String
    public let name: String?

    public init(_ code: Code, _ message: String, name: String? = nil) {
        self.code = code
        self.message = message
        self.name = name
    }

    public var description: String {
        if let name { return "\(code.rawValue) '\(name)': \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
