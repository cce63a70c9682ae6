import HangarCore
import HangarPolicy
import HangarUpstream
import Logging
import Synchronization

/// The aggregating MCP server: one catalog over every upstream, routing by the name table,
/// shaping every answer for the client's era, and fanning list changes out to listeners.
public final class Gateway: Sendable {
    public let config: GatewayConfig
    public let pool: UpstreamPool
    /// The checks every call passes: identity, permission, rate limit, schemas, redaction, audit.
    public let policy: PolicyPlane
    /// Compiled schemas shared by identical tool schemas across servers and catalog versions.
    let schemaCache = SchemaCache(capacity: 4096)
    /// Upstream calls waiting for a modern client's input (multi round-trip requests).
    let parked = ParkedCalls()
    let logger: Logger
    public static let serverInfo: JSONValue = ["name": "hangar", "title": "Hangar MCP gateway", "version": "0.1.0"]

    private enum Work: Sendable {
        case upstream(String, UpstreamEvent)
        case refreshAll(CheckedContinuation<Void, Never>)
        case refreshTools(String, CheckedContinuation<Void, Never>)
        case attached(String, CheckedContinuation<Void, Never>)
        case removed(String)
    }
    private let work: AsyncStream<Work>
    private let workInput: AsyncStream<Work>.Continuation

    private struct State {
        var snapshots: [String: ServerSnapshot] = [:]
        var catalog = ExposedCatalog()
        var listeners: [Int: @Sendable (CatalogChange) -> Void] = [:]
        /// Bumped on every catalog rebuild; cached list bytes belong to one generation.
        var generation = 0
        var listCache: [ListCacheKey: [UInt8]] = [:]
        /// Compiled tool schemas of this catalog version, by exposed name.
        var validators: [String: ToolValidators] = [:]
        var nextListener = 0
        /// The session (its `restarts` count) each server was last listed whole for, without
        /// a listing failing: at start-up both its connection and `waitUntilReady` ask for one.
        var listedSessions: [String: Int] = [:]
    }
    private let state = Mutex(State())

    public init(config: GatewayConfig, policy: PolicyPlane? = nil, logger: Logger) {
        self.config = config
        self.logger = logger
        let policy = policy ?? PolicyPlane(config: config.policy)
        self.policy = policy
        (work, workInput) = AsyncStream.makeStream(of: Work.self)
        let input = workInput
        let servers = config.servers.map { Self.withPolicyHooks($0, policy: policy) }
        pool = UpstreamPool(configs: servers, logger: logger) { server, event in
            input.yield(.upstream(server, event))
        }
    }

    /// The current aggregate.
    public var catalog: ExposedCatalog { state.withLock { $0.catalog } }

    var catalogGeneration: Int { state.withLock { $0.generation } }

    func cachedList(_ key: ListCacheKey) -> [UInt8]? { state.withLock { $0.listCache[key] } }

    func cachedValidators(_ tool: String) -> ToolValidators? { state.withLock { $0.validators[tool] } }

    func storeValidators(_ tool: String, _ validators: ToolValidators) {
        state.withLock { $0.validators[tool] = validators }
    }

    func storeList(_ key: ListCacheKey, _ bytes: [UInt8], generation: Int) {
        state.withLock { s in
            if s.generation == generation { s.listCache[key] = bytes }
        }
    }

    /// Runs the upstreams and keeps the catalog current until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.pool.run() }
            group.addTask { await self.policy.run(logger: self.logger) }
            group.addTask {
                for await item in self.work {
                    await self.process(item)
                }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await waitUntilCancelled()
                } onCancel: {
                    self.workInput.finish()
                }
            }
        }
    }

    /// Waits (at most `timeout`) until every upstream has connected or failed once, then lists them all.
    public func waitUntilReady(timeout: Duration) async {
        _ = await withTimeout(timeout) { await self.pool.waitForFirstAttempts() }
        await withCheckedContinuation { continuation in
            if case .terminated = workInput.yield(.refreshAll(continuation)) { continuation.resume() }
        }
    }

    /// Secrets resolved at launch and redacted from the server's logged stderr.
    static func withPolicyHooks(_ config: UpstreamConfig, policy: PolicyPlane) -> UpstreamConfig {
        var config = config
        let name = config.name
        config.resolve = { text in try policy.resolveSecrets(text, for: name) }
        config.scrub = { text in policy.redactor.redact(text) }
        return config
    }

    /// Adds a server while running (a hosted workload); nil when the name is taken. Its tools
    /// join the catalog when it connects.
    @discardableResult
    public func addServer(_ config: UpstreamConfig) -> Upstream? {
        pool.add(Self.withPolicyHooks(config, policy: policy))
    }

    /// Removes a server: it is stopped and its tools, prompts and resources leave the catalog.
    public func removeServer(_ name: String) {
        guard pool.remove(name) != nil else { return }
        workInput.yield(.removed(name))
    }

    /// Re-lists one server's tools now and waits until the catalog reflects them.
    func refreshNow(_ upstream: Upstream) async {
        await withCheckedContinuation { continuation in
            if case .terminated = workInput.yield(.refreshTools(upstream.name, continuation)) { continuation.resume() }
        }
    }

    /// Lists what a just-attached server offers (waiting for its session) and returns once the
    /// catalog shows it, so a hosted server is reported running only when its tools are callable.
    public func catalogAttached(_ server: String) async {
        await withCheckedContinuation { continuation in
            if case .terminated = workInput.yield(.attached(server, continuation)) { continuation.resume() }
        }
    }

    // MARK: - Catalog upkeep

    private func process(_ item: Work) async {
        switch item {
        case .refreshAll(let continuation):
            for upstream in pool.upstreams where upstream.status.state == .ready {
                await listWhole(upstream)
            }
            continuation.resume()
        case .refreshTools(let server, let continuation):
            if let upstream = pool.upstream(named: server), upstream.status.state == .ready {
                await refresh(upstream, kinds: [.tools])
            }
            continuation.resume()
        case .attached(let server, let continuation):
            if let upstream = pool.upstream(named: server) { await listWhole(upstream) }
            continuation.resume()
        case .removed(let server):
            let changed = state.withLock { s -> Bool in
                s.listedSessions.removeValue(forKey: server)
                guard s.snapshots.removeValue(forKey: server) != nil else { return false }
                rebuildCatalog(&s)
                return true
            }
            if changed {
                await warmListCache()
                broadcast([.tools, .prompts, .resources])
            }
        case .upstream(let server, let event):
            guard let upstream = pool.upstream(named: server) else { return }
            switch event {
            case .connected: await listWhole(upstream)
            case .toolsChanged: await refresh(upstream, kinds: [.tools])
            case .promptsChanged: await refresh(upstream, kinds: [.prompts])
            case .resourcesChanged: await refresh(upstream, kinds: [.resources])
            case .resourceUpdated(let uri, _): broadcast([.resourceUpdated(uri: uri)])
            case .log, .disconnected: break
            }
        }
    }

    /// Lists everything an upstream offers, once for each of its sessions. A session listed
    /// whole stays current through its list_changed notifications, so a second request for
    /// the same session (start-up asks twice, in either order) sends nothing upstream.
    /// Only a listing of a ready session counts: one without a session lists nothing.
    private func listWhole(_ upstream: Upstream) async {
        let status = upstream.status
        let session = status.state == .ready ? status.restarts : nil
        if let session, state.withLock({ $0.listedSessions[upstream.name] }) == session { return }
        if await refresh(upstream, kinds: [.tools, .prompts, .resources]), let session {
            state.withLock { $0.listedSessions[upstream.name] = session }
        }
    }

    /// Re-lists what an upstream offers and tells listeners what changed; false when a list
    /// could not be read (what was known of it is kept).
    @discardableResult
    private func refresh(_ upstream: Upstream, kinds: Set<CatalogChange>) async -> Bool {
        let caps = upstream.status.capabilities
        var snapshot = state.withLock { $0.snapshots[upstream.name] } ?? ServerSnapshot(server: upstream.name)
        let before = snapshot
        var complete = true
        func list(_ method: String, _ key: String, capability: String) async -> [JSONValue]? {
            guard caps?[capability] != nil else { return [] }
            do { return try await upstream.listAll(method, key: key) } catch {
                if case .remote(let e) = error.code, e.code == JSONRPCError.Code.methodNotFound.rawValue { return [] }
                logger.warning("listing failed", metadata: ["hangar.server": "\(upstream.name)", "hangar.method": "\(method)", "error": "\(error)"])
                complete = false
                return nil
            }
        }
        if kinds.contains(.tools), let tools = await list(MCPMethod.toolsList, "tools", capability: "tools") {
            snapshot.tools = await pinned(tools, server: upstream.name)
        }
        if kinds.contains(.prompts), let prompts = await list(MCPMethod.promptsList, "prompts", capability: "prompts") { snapshot.prompts = prompts }
        if kinds.contains(.resources) {
            if let r = await list(MCPMethod.resourcesList, "resources", capability: "resources") { snapshot.resources = r }
            if let t = await list(MCPMethod.resourceTemplatesList, "resourceTemplates", capability: "resources") { snapshot.resourceTemplates = t }
        }
        var changed: [CatalogChange] = []
        if snapshot.tools != before.tools { changed.append(.tools) }
        if snapshot.prompts != before.prompts { changed.append(.prompts) }
        if snapshot.resources != before.resources || snapshot.resourceTemplates != before.resourceTemplates { changed.append(.resources) }
        guard !changed.isEmpty else { return complete }
        let collisions = state.withLock { s -> [String] in
            s.snapshots[upstream.name] = snapshot
            rebuildCatalog(&s)
            return s.catalog.collisions
        }
        for c in collisions { logger.warning("name collision: \(c)") }
        await warmListCache()
        broadcast(changed)
        return complete
    }

    /// A new catalog version from the snapshots, in pool order; what was derived from the old
    /// one (list bytes, compiled schemas) is dropped.
    private func rebuildCatalog(_ s: inout State) {
        s.catalog = ExposedCatalog(snapshots: pool.upstreams.compactMap { s.snapshots[$0.name] }, naming: config.naming)
        s.generation += 1
        s.listCache = [:]
        s.validators = [:]
    }

    private func broadcast(_ changes: [CatalogChange]) {
        let listeners = state.withLock { Array($0.listeners.values) }
        for change in changes {
            for listener in listeners { listener(change) }
        }
    }

    /// Registers a listener for catalog changes; returns a token for `removeListener`.
    public func addListener(_ listener: @escaping @Sendable (CatalogChange) -> Void) -> Int {
        state.withLock { s in
            defer { s.nextListener += 1 }
            s.listeners[s.nextListener] = listener
            return s.nextListener
        }
    }

    public func removeListener(_ token: Int) {
        _ = state.withLock { $0.listeners.removeValue(forKey: token) }
    }
}

extension ServerSnapshot: Equatable {
    public static func == (a: ServerSnapshot, b: ServerSnapshot) -> Bool {
        a.server == b.server && a.tools == b.tools && a.prompts == b.prompts && a.resources == b.resources
            && a.resourceTemplates == b.resourceTemplates
    }
}
