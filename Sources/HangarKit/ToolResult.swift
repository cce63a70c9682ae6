import HangarCore

/// What a tool call returns. A failure the model should see (bad input, a remote error) is a
/// result with `isError: true`, not a protocol error.
public struct ToolResult: Sendable, Hashable {
    public var content: [ContentBlock]
    /// Machine-readable result; should match the tool's `outputSchema` when it has one.
    public var structuredContent: JSONValue?
    public var isError: Bool

    public init(content: [ContentBlock], structuredContent: JSONValue? = nil, isError: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
    }

    /// One text block, and optionally structured content.
    public static func text(_ text: String, structuredContent: JSONValue? = nil) -> ToolResult {
        ToolResult(content: [.text(text)], structuredContent: structuredContent)
    }

    /// A failed call, explained in one text block.
    public static func error(_ message: String) -> ToolResult {
        ToolResult(content: [.text(message)], isError: true)
    }

    /// Adds the members of a `tools/call` result to `o`.
    func write(into o: inout JSONObject) {
        o["content"] = .array(content.map(\.json))
        if let structuredContent { o["structuredContent"] = structuredContent }
        o["isError"] = .bool(isError)
    }
}
