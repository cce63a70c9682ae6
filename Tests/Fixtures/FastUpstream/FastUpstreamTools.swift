import HangarCore
import HangarKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tools, resources and prompt `hangar-fast-upstream` offers.
enum FastUpstreamTools {
    static func register(on server: MCPServer, generatedTools: Int) {
        server.addTool(
            name: "echo", description: "Returns the text it is given.",
            inputSchema: objectSchema(["text": ["type": "string"]], required: ["text"])
        ) { call in
            .text(call.string("text") ?? "")
        }
        server.addTool(
            name: "add", description: "Adds two numbers.",
            inputSchema: objectSchema(["a": ["type": "number"], "b": ["type": "number"]], required: ["a", "b"]),
            outputSchema: objectSchema(["sum": ["type": "number"]], required: ["sum"])
        ) { call in
            guard let a = call.arguments["a"], let b = call.arguments["b"], a.doubleValue != nil, b.doubleValue != nil else {
                return .error("add needs numbers a and b")
            }
            let sum: JSONValue
            if let x = a.intValue, let y = b.intValue, case (let s, false) = x.addingReportingOverflow(y) {
                sum = .int(s)
            } else {
                sum = .double(a.doubleValue! + b.doubleValue!)
            }
            return .text(sum.description, structuredContent: ["sum": sum])
        }
        server.addTool(
            name: "sleep", description: "Sleeps for ms milliseconds, reporting progress every 50 ms when asked.",
            inputSchema: objectSchema(["ms": ["type": "integer", "minimum": 0]], required: ["ms"])
        ) { call in
            try await sleep(call)
        }
        server.addTool(name: "crash", description: "Exits the server at once with status 3, without answering.") { _ in
            exit(3)
        }
        server.addTool(
            name: "add_tool", description: "Adds (or replaces) an echo tool of the given name and description and announces the list change.",
            inputSchema: objectSchema(["name": ["type": "string"], "description": ["type": "string"]], required: ["name"])
        ) { [weak server] call in
            guard let name = call.string("name"), !name.isEmpty, let server else { return .error("add_tool needs a name") }
            server.addTool(name: name, description: call.string("description") ?? "Echo tool added at run time.",
                           inputSchema: objectSchema(["text": ["type": "string"]], required: [])) { call in
                .text(call.string("text") ?? "")
            }
            server.notifyToolsListChanged()
            return .text("added \(name)")
        }
        server.addTool(
            name: "structured", description: "Returns `value` as its structured content, whatever it is (to test outputSchema checks).",
            inputSchema: objectSchema(["value": [:]], required: ["value"]),
            outputSchema: objectSchema(["count": ["type": "integer"]], required: ["count"])
        ) { call in
            .text("structured", structuredContent: call.arguments["value"] ?? .null)
        }
        server.addTool(
            name: "env", description: "Returns the value of an environment variable of the server.",
            inputSchema: objectSchema(["name": ["type": "string"]], required: ["name"])
        ) { call in
            guard let name = call.string("name"), let value = getenv(name) else {
                return .error("environment variable \(call.string("name") ?? "") is not set")
            }
            return .text(String(cString: value))
        }
        for index in 0..<generatedTools {
            server.addTool(generatedTool(index))
        }
        server.addResource(uri: "fast://hello", name: "hello", description: "A greeting.", mimeType: "text/plain") { uri in
            .text("hello from fast", uri: uri)
        }
        server.addResourceTemplate(uriTemplate: "fast://items/{id}", name: "item", mimeType: "text/plain") { uri, variables in
            .text("item \(variables["id"] ?? "")", uri: uri)
        }
        server.addPrompt(
            name: "greet", description: "Greets someone by name.",
            arguments: [Prompt.Argument(name: "name", description: "Who to greet", required: true)]
        ) { arguments in
            PromptResult(messages: [.user("Hello, \(arguments["name"] ?? "")!")])
        }
    }

    private static func sleep(_ call: ToolCall) async throws -> ToolResult {
        let total = max(0, call.int("ms") ?? 0)
        var slept: Int64 = 0
        do {
            while slept < total {
                let step = min(50, total - slept)
                try await Task.sleep(for: .milliseconds(step))
                slept += step
                call.progress.report(Double(slept), total: Double(total), message: "slept \(slept) ms")
            }
        } catch {
            FastUpstreamFlags.printToStderr("cancelled \(call.requestID)\n")
            throw error
        }
        return .text("slept \(total) ms")
    }

    /// `tool_N`: a realistic definition (five typed properties, an ~80 character description)
    /// whose call answers with a short text.
    static func generatedTool(_ index: Int) -> Tool {
        let schema = objectSchema([
            "query": ["type": "string", "description": "What to look for"],
            "limit": ["type": "integer", "minimum": 1, "maximum": 100, "description": "Most results to return"],
            "offset": ["type": "integer", "minimum": 0, "description": "Results to skip"],
            "verbose": ["type": "boolean", "description": "Include details in each result"],
            "tags": ["type": "array", "items": ["type": "string"], "description": "Only results with these tags"],
        ], required: ["query"])
        let name = "tool_\(index)"
        return Tool(
            name: name,
            description: "Generated tool number \(index): searches the fixture's records and returns a summary.",
            inputSchema: schema
        ) { call in
            .text("\(name) \(call.string("query") ?? "")")
        }
    }

    static func objectSchema(_ properties: JSONObject, required: [String]) -> JSONValue {
        var o: JSONObject = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.map { .string($0) }) }
        return .object(o)
    }
}
