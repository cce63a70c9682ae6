import HangarCore

/// A filled-in prompt: the messages to put in front of the model.
public struct PromptResult: Sendable, Hashable {
    /// One message of a prompt.
    public struct Message: Sendable, Hashable {
        public enum Role: String, Sendable, Hashable {
            case user, assistant
        }

        public var role: Role
        public var content: ContentBlock

        public init(role: Role, content: ContentBlock) {
            self.role = role
            self.content = content
        }

        /// A user message of plain text.
        public static func user(_ text: String) -> Message { Message(role: .user, content: .text(text)) }
        /// An assistant message of plain text.
        public static func assistant(_ text: String) -> Message { Message(role: .assistant, content: .text(text)) }

        var json: JSONValue { .object(["role": .string(role.rawValue), "content": content.json]) }
    }

    public var description: String?
    public var messages: [Message]

    public init(description: String? = nil, messages: [Message]) {
        self.description = description
        self.messages = messages
    }

    func write(into o: inout JSONObject) {
        if let description { o["description"] = .string(description) }
        o["messages"] = .array(messages.map(\.json))
    }
}
