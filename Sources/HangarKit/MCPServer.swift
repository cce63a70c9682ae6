import HangarCore
import Synchronization

/// An MCP server that speaks both protocol eras: the modern, handshake-free 2026-07-28 and
/// the `initialize`-based legacy versions. Register tools, resources and prompts, then
/// either `runStdio()` or feed it messages with `handle(_:)` (the in-memory harness).
///
/// One instance is one client session: the legacy handshake's outcome is kept here.
public final class MCPServer: Sendable {
    public let name: String
    public let version: String
    /// Guidance for the model on how to use this server, sent at `initialize`/`server/discover`.
    public let instructions: String?
    public let options: ServerOptions

    let catalog = Mutex(Catalog())
    let gate: Mutex<EraGate>
    let inFlight = InFlightRequests()
    let outlet = NotificationOutlet()

    public init(name: String, version: String, instructions: String? = nil, options: ServerOptions = ServerOptions()) {
        self.name = name
        self.version = version
        self.instructions = instructions
        self.options = options
        self.gate = Mutex(EraGate(supported: options.supportedVersions))
    }

    // MARK: Registration (allowed at any time; call a notify method after changes at run time)

    /// Adds a tool, replacing any tool of the same name.
    public func addTool(
        name: String, title: String? = nil, description: String? = nil,
        inputSchema: JSONValue = ["type": "object"], outputSchema: JSONValue? = nil,
        annotations: JSONValue? = nil, handler: @escaping Tool.Handler
    ) {
        addTool(Tool(name: name, title: title, description: description, inputSchema: inputSchema,
                     outputSchema: outputSchema, annotations: annotations, handler: handler))
    }

    /// Adds a tool, replacing any tool of the same name.
    public func addTool(_ tool: Tool) {
        catalog.withLock { $0.tools[tool.name] = tool }
    }

    /// Removes a tool; `false` if there was none of that name.
    @discardableResult
    public func removeTool(named name: String) -> Bool {
        catalog.withLock { $0.tools.removeValue(forKey: name) != nil }
    }

    /// The names of the tools offered now, in list order.
    public var toolNames: [String] { catalog.withLock { Array($0.tools.keys) } }

    /// Adds a resource at a fixed URI.
    public func addResource(
        uri: String, name: String, description: String? = nil, mimeType: String? = nil,
        read: @escaping Resource.Reader
    ) {
        let resource = Resource(uri: uri, name: name, description: description, mimeType: mimeType, read: read)
        catalog.withLock { $0.resources[uri] = resource }
    }

    /// Adds a family of resources named by a URI template such as `fast://items/{id}`.
    public func addResourceTemplate(
        uriTemplate: String, name: String, description: String? = nil, mimeType: String? = nil,
        read: @escaping ResourceTemplate.Reader
    ) {
        let template = ResourceTemplate(uriTemplate: uriTemplate, name: name, description: description,
                                        mimeType: mimeType, read: read)
        catalog.withLock { $0.templates.append(template) }
    }

    /// Adds a prompt, replacing any prompt of the same name.
    public func addPrompt(
        name: String, description: String? = nil, arguments: [Prompt.Argument] = [],
        get: @escaping Prompt.Getter
    ) {
        let prompt = Prompt(name: name, description: description, arguments: arguments, get: get)
        catalog.withLock { $0.prompts[name] = prompt }
    }

    // MARK: Messages the server sends on its own

    /// Where notifications go (progress, list changes). `runStdio()` installs stdout; an
    /// in-memory harness installs its own. Without a sink they are dropped.
    public func setNotificationSink(_ sink: (@Sendable (JSONRPCMessage) -> Void)?) {
        outlet.install(sink)
    }

    /// Tells the client to list tools again.
    public func notifyToolsListChanged() {
        outlet.send(MCPMethod.toolsListChanged, params: nil)
    }

    /// Tells the client to list resources again.
    public func notifyResourcesListChanged() {
        outlet.send(MCPMethod.resourcesListChanged, params: nil)
    }

    /// Tells the client to list prompts again.
    public func notifyPromptsListChanged() {
        outlet.send(MCPMethod.promptsListChanged, params: nil)
    }

    /// How many requests are being worked on now.
    public var requestsInFlight: Int { inFlight.count }
}
