import HangarCore

/// A tool the server offers: its definition as clients see it, and the code that runs it.
public struct Tool: Sendable {
    /// Runs one call. A thrown `JSONRPCError` becomes that protocol error; any other thrown
    /// error becomes a result with `isError: true` whose text is the error's description.
    public typealias Handler = @Sendable (ToolCall) async throws -> ToolResult

    public let name: String
    public let title: String?
    public let description: String?
    public let inputSchema: JSONValue
    public let outputSchema: JSONValue?
    /// Hints such as `readOnlyHint`, passed through as given.
    public let annotations: JSONValue?
    let handler: Handler
    /// The definition as `tools/list` sends it, built once.
    let definition: JSONValue

    public init(
        name: String, title: String? = nil, description: String? = nil,
        inputSchema: JSONValue = ["type": "object"], outputSchema: JSONValue? = nil,
        annotations: JSONValue? = nil, handler: @escaping Handler
    ) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
        self.handler = handler
        var o: JSONObject = ["name": .string(name)]
        if let title { o["title"] = .string(title) }
        if let description { o["description"] = .string(description) }
        o["inputSchema"] = inputSchema
        if let outputSchema { o["outputSchema"] = outputSchema }
        if let annotations { o["annotations"] = annotations }
        self.definition = .object(o)
    }
}
