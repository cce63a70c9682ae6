import HangarCore

/// A prompt template the client can fill in and show to the user.
public struct Prompt: Sendable {
    /// Builds the prompt from the arguments the client gave (all strings, as MCP sends them).
    public typealias Getter = @Sendable (_ arguments: [String: String]) async throws -> PromptResult

    /// One argument a prompt takes.
    public struct Argument: Sendable, Hashable {
        public var name: String
        public var description: String?
        public var required: Bool

        public init(name: String, description: String? = nil, required: Bool = false) {
            self.name = name
            self.description = description
            self.required = required
        }

        var json: JSONValue {
            var o: JSONObject = ["name": .string(name)]
            if let description { o["description"] = .string(description) }
            o["required"] = .bool(required)
            return .object(o)
        }
    }

    public let name: String
    public let description: String?
    public let arguments: [Argument]
    let get: Getter

    public init(name: String, description: String? = nil, arguments: [Argument] = [], get: @escaping Getter) {
        self.name = name
        self.description = description
        self.arguments = arguments
        self.get = get
    }

    var definition: JSONValue {
        var o: JSONObject = ["name": .string(name)]
        if let description { o["description"] = .string(description) }
        if !arguments.isEmpty { o["arguments"] = .array(arguments.map(\.json)) }
        return .object(o)
    }
}
