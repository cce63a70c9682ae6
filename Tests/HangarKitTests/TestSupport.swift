import HangarCore
@testable import HangarKit
import Testing

/// Thrown when a wait runs past its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with `DeadlineExceeded` if it takes longer than `seconds`.
/// The clock only bounds the wait; the result is whatever `body` signals.
func withDeadline<T: Sendable>(
    _ seconds: Double = 10, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(what: what)
        }
        return value
    }
}

/// A one-shot signal a handler raises and a test waits on.
final class Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    func raise() { continuation.yield() }

    func wait(_ what: String, seconds: Double = 10) async throws {
        let stream = self.stream
        try await withDeadline(seconds, what) {
            for await _ in stream { return }
            throw DeadlineExceeded(what: what)
        }
    }
}

extension JSONObject {
    /// The text of the first content block of a tool result.
    var firstText: String? { self["content"]?.arrayValue?.first?["text"]?.stringValue }
}

/// A server with the tools most tests need.
func makeServer(options: ServerOptions = ServerOptions()) -> MCPServer {
    let server = MCPServer(name: "test-server", version: "0.1.0", instructions: "For tests.", options: options)
    server.addTool(name: "echo", description: "Echoes text",
                   inputSchema: ["type": "object", "properties": ["text": ["type": "string"]]]) { call in
        .text(call.string("text") ?? "")
    }
    server.addTool(name: "fail", description: "Always throws") { _ in
        struct Broken: Error, CustomStringConvertible { var description: String { "the widget is broken" } }
        throw Broken()
    }
    server.addResource(uri: "test://hello", name: "hello", mimeType: "text/plain") { uri in
        .text("hello", uri: uri)
    }
    server.addResourceTemplate(uriTemplate: "test://items/{id}", name: "item") { uri, variables in
        .text("item \(variables["id"] ?? "?")", uri: uri)
    }
    server.addPrompt(name: "greet", arguments: [Prompt.Argument(name: "name", required: true)]) { arguments in
        PromptResult(messages: [.user("Hello, \(arguments["name"] ?? "")!")])
    }
    return server
}
