import HangarCore
import HangarTransport
import Logging
import NIOCore
import Synchronization

/// The state of one upstream as users see it (`hangar tools`, /healthz).
public enum UpstreamState: String, Sendable {
    case starting, ready, backoff, stopped
}

/// One configured upstream server over its whole life: starts it, probes its era, restarts it
/// with backoff when it dies, and routes requests to the live session.
public final class Upstream: Sendable {
    public let config: UpstreamConfig
    private let logger: Logger
    private let onEvent: @Sendable (String, UpstreamEvent) -> Void

    private struct State {
        var session: (any UpstreamSession)?
        var state: UpstreamState = .starting
        var restarts = 0
        var lastError: String?
        /// Waiters for the next ready session (or for giving up on this attempt).
        var waiters: [Int: CheckedContinuation<(any UpstreamSession)?, Never>] = [:]
        var nextWaiter = 0
        var firstAttemptDone = false
        var firstAttemptWaiters: [CheckedContinuation<Void, Never>] = []
        var shutdown = false
        var shutdownWaiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())
    /// Sessions handed over by `attach` (hosted workloads), taken by `run()`.
    private let attached: AsyncStream<any UpstreamSession>
    private let attachInput: AsyncStream<any UpstreamSession>.Continuation

    public init(config: UpstreamConfig, logger: Logger, onEvent: @escaping @Sendable (String, UpstreamEvent) -> Void) {
        self.config = config
        var logger = logger
        logger[metadataKey: "hangar.server"] = "\(config.name)"
        self.logger = logger
        self.onEvent = onEvent
        (attached, attachInput) = AsyncStream.makeStream(of: (any UpstreamSession).self, bufferingPolicy: .bufferingNewest(1))
    }

    public var name: String { config.name }

    /// True for a server inside the daemon, which is told who calls it.
    public var isInProcess: Bool {
        if case .inProcess = config.transport { return true }
        return false
    }

    /// Connects to a hosted workload's process over its pipes (probe, handshake) and makes it
    /// this upstream's live session. Throws when the handshake fails; the caller owns the
    /// process and reads its stderr (the supervisor keeps hosted servers' logs).
    public func attach(process: any UpstreamProcess, stdin: Int32, stdout: Int32) async throws {
        let session = try await StdioUpstreamSession.attach(
            server: name, process: process, stdin: stdin, stdout: stdout, stderr: nil, connectTimeout: config.connectTimeout,
            logger: logger, stderrLine: { _ in }, onEvent: sessionEvents)
        if case .terminated = attachInput.yield(session) { await session.close() }
    }

    /// Connects to a hosted workload that speaks Streamable HTTP at `url` and makes it this
    /// upstream's live session. Throws when it does not answer the probe and handshake.
    public func attach(url: String) async throws {
        let session = try await HTTPUpstreamSession.start(server: name, url: url, headers: [], connectTimeout: config.connectTimeout,
                                                          logger: logger, onEvent: sessionEvents)
        if case .terminated = attachInput.yield(session) { await session.close() }
    }

    /// Session events, tagged with this upstream's name.
    private var sessionEvents: @Sendable (UpstreamEvent) -> Void {
        { [name, onEvent] event in onEvent(name, event) }
    }

    /// Drops the live session of a hosted workload whose process is gone or being stopped.
    public func detach() async {
        let session = state.withLock { $0.session }
        await session?.close()
    }

    /// The supervisor's view of a hosted workload while no session is live: `starting` and
    /// `backoff` make callers wait for the next session; `stopped` fails them at once.
    public func markHosted(_ new: UpstreamState, reason: String? = nil) {
        let stopped = state.withLock { s -> Bool in
            guard s.session == nil else { return false }
            s.state = new
            if let reason { s.lastError = reason }
            return new == .stopped
        }
        if stopped { wakeWaiters(with: nil) }
    }

    /// Stops this upstream for good (the server was removed): `run()` returns.
    public func shutdown() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.shutdown = true
            defer { s.shutdownWaiter = nil }
            return s.shutdownWaiter
        }
        attachInput.finish()
        waiter?.resume()
    }

    /// Returns when `shutdown()` is called (or the task is cancelled).
    func waitForShutdown() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = state.withLock { s -> Bool in
                    // Cancelled before this lock: the handler found no waiter to resume.
                    if s.shutdown || Task.isCancelled { return true }
                    s.shutdownWaiter = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            state.withLock { s in
                defer { s.shutdownWaiter = nil }
                return s.shutdownWaiter
            }?.resume()
        }
    }

    /// Makes `session` the live one and serves it until it ends (or the task is cancelled);
    /// returns why it ended.
    private func serve(_ session: any UpstreamSession) async -> String {
        let hs = session.handshake
        logger.info("upstream connected", metadata: ["hangar.era": "\(hs.era.rawValue)", "hangar.version": "\(hs.version)"])
        becomeReady(session)
        onEvent(name, .connected(era: hs.era, version: hs.version))
        let reason = await withTaskCancellationHandler {
            await session.run()
        } onCancel: {
            Task { await session.close() }
        }
        await session.close()
        return reason
    }

    /// A hosted upstream: serve each attached session until it ends, until cancelled.
    private func runHosted() async {
        becomeUnavailable(error: "not started")
        setState(.stopped)
        for await session in attached {
            if Task.isCancelled { await session.close(); break }
            let reason = await serve(session)
            state.withLock { s in
                s.session = nil
                s.state = .stopped
                s.restarts += 1
                s.lastError = reason
            }
            onEvent(name, .disconnected(reason: reason))
            if Task.isCancelled { break }
        }
        state.withLock { $0.state = .stopped; $0.session = nil }
        wakeWaiters(with: nil)
    }

    public struct Status: Sendable {
        public var state: UpstreamState
        public var era: ProtocolEra?
        public var version: String?
        public var restarts: Int
        public var lastError: String?
        public var capabilities: JSONValue?
        public var serverInfo: JSONValue?
    }

    public var status: Status {
        state.withLock { s in
            let hs = s.session?.handshake
            return Status(state: s.state, era: hs?.era, version: hs?.version, restarts: s.restarts, lastError: s.lastError,
                          capabilities: hs?.capabilities, serverInfo: hs?.serverInfo)
        }
    }

    /// Runs the upstream until the task is cancelled: connect, serve, restart on death.
    public func run() async {
        if case .hosted = config.transport {
            await runHosted()
            return
        }
        var attempt = 0
        while !Task.isCancelled {
            setState(.starting)
            let started = ContinuousClock.now
            let session: any UpstreamSession
            do {
                session = try await connect()
            } catch {
                let detail = (error as? UpstreamError)?.detail ?? "\(error)"
                logger.warning("upstream failed to start: \(detail)")
                becomeUnavailable(error: detail)
                if !(await sleepBackoff(attempt: attempt)) { break }
                attempt += 1
                continue
            }
            let reason = await serve(session)
            if Task.isCancelled { break }
            logger.warning("upstream ended: \(reason); restarting")
            state.withLock { s in
                s.session = nil
                s.restarts += 1
                s.lastError = reason
            }
            onEvent(name, .disconnected(reason: reason))
            if ContinuousClock.now - started > config.backoff.stableAfter { attempt = 0 }
            if !(await sleepBackoff(attempt: attempt)) { break }
            attempt += 1
        }
        let leftover = state.withLock { s -> (any UpstreamSession)? in
            s.state = .stopped
            defer { s.session = nil }
            return s.session
        }
        await leftover?.close()
        wakeWaiters(with: nil)
    }

    private func connect() async throws -> any UpstreamSession {
        let events = sessionEvents
        let transport: UpstreamConfig.Transport
        do {
            transport = try config.resolvedTransport()
        } catch {
            throw UpstreamError(.unavailable, server: name, detail: "\(error)")
        }
        switch transport {
        case .stdio(var spec):
            if spec.placement == nil { spec.placement = CPUAffinity.serverPlacement }
            let scrub = config.scrub
            return try await StdioUpstreamSession.start(
                server: name, spec: spec, connectTimeout: config.connectTimeout, logger: logger,
                stderr: { [logger] line in
                    let text = String(buffer: line)
                    logger.debug("stderr: \(scrub?(text) ?? text)")
                },
                onEvent: events)
        case .http(let url, let headers):
            return try await HTTPUpstreamSession.start(server: name, url: url, headers: headers,
                                                       connectTimeout: config.connectTimeout, logger: logger, onEvent: events)
        case .hosted:
            throw UpstreamError(.unavailable, server: name, detail: "a hosted server is started by the supervisor")
        case .inProcess(let server):
            return InProcessSession(name: name, server: server)
        }
    }

    private func setState(_ new: UpstreamState) {
        state.withLock { $0.state = new }
    }

    private func becomeReady(_ session: any UpstreamSession) {
        let (waiters, first) = state.withLock { s in
            s.session = session
            s.state = .ready
            s.lastError = nil
            defer { s.waiters = [:]; s.firstAttemptDone = true; s.firstAttemptWaiters = [] }
            return (Array(s.waiters.values), s.firstAttemptWaiters)
        }
        for w in waiters { w.resume(returning: session) }
        for w in first { w.resume() }
    }

    private func becomeUnavailable(error: String) {
        let first = state.withLock { s in
            s.state = .backoff
            s.lastError = error
            defer { s.firstAttemptDone = true; s.firstAttemptWaiters = [] }
            return s.firstAttemptWaiters
        }
        for w in first { w.resume() }
        wakeWaiters(with: nil)
    }

    private func wakeWaiters(with session: (any UpstreamSession)?) {
        let waiters = state.withLock { s in
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(returning: session) }
    }

    private func sleepBackoff(attempt: Int) async -> Bool {
        setState(.backoff)
        let delay = config.backoff.delay(attempt: attempt, random: Double.random(in: 0..<1))
        do {
            try await Task.sleep(for: delay)
            return true
        } catch {
            return false
        }
    }

    /// Waits until the first connection attempt has succeeded or failed.
    public func waitForFirstAttempt() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Bool in
                if s.firstAttemptDone { return true }
                s.firstAttemptWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The live session, waiting (bounded by `timeout`) while the upstream is starting.
    private func liveSession(timeout: Duration) async throws -> any UpstreamSession {
        let (session, current) = state.withLock { ($0.session, $0.state) }
        if let session { return session }
        if current == .stopped {
            throw UpstreamError(.unavailable, server: name, detail: "the server is stopped")
        }
        let id = state.withLock { s -> Int in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        let found = await withTimeout(timeout) { () async -> (any UpstreamSession)? in
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let ready = self.state.withLock { s -> (any UpstreamSession)? in
                        if let session = s.session { return session }
                        s.waiters[id] = continuation
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
            }
        }
        guard let found else {
            let last = state.withLock { $0.lastError }
            throw UpstreamError(.unavailable, server: name, detail: last.map { "not available (\($0))" } ?? "not available")
        }
        return found
    }

    /// Sends a request to the upstream and returns its result.
    public func request(_ method: String, params: consuming JSONValue?, timeout: Duration? = nil,
                        sink: RequestNotificationSink? = nil, ask: ServerRequestHandler? = nil) async throws(UpstreamError) -> JSONValue {
        try await send(method, params: params, timeout: timeout, sink: sink, ask: ask, keepingText: false).value
    }

    /// `request`, with an object result kept as the text it came as where the session can
    /// (stdio), for a caller that passes it on.
    public func requestKeepingText(_ method: String, params: consuming JSONValue?, timeout: Duration? = nil,
                                   sink: RequestNotificationSink? = nil) async throws(UpstreamError) -> UpstreamResult {
        try await send(method, params: params, timeout: timeout, sink: sink, ask: nil, keepingText: true)
    }

    private func send(_ method: String, params: consuming JSONValue?, timeout: Duration?, sink: RequestNotificationSink?,
                      ask: ServerRequestHandler?, keepingText: Bool) async throws(UpstreamError) -> UpstreamResult {
        let timeout = timeout ?? config.requestTimeout
        do {
            let session = try await liveSession(timeout: min(timeout, config.connectTimeout))
            if keepingText {
                return try await session.requestKeepingText(method, params: consume params, timeout: timeout, sink: sink, ask: ask)
            }
            return .value(try await session.request(method, params: consume params, timeout: timeout, sink: sink, ask: ask))
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamError(.protocolViolation, server: name, detail: "\(error)")
        }
    }

    /// Sends a notification if connected; dropped otherwise.
    public func notify(_ method: String, params: JSONValue?) async {
        guard let session = state.withLock({ $0.session }) else { return }
        await session.notify(method, params: params)
    }

    /// Every item of a paginated list (`tools/list` etc.), following cursors.
    public func listAll(_ method: String, key: String, maxPages: Int = 1000) async throws(UpstreamError) -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        for _ in 0..<maxPages {
            let params: JSONValue? = cursor.map { ["cursor": .string($0)] }
            let result = try await request(method, params: params)
            items.append(contentsOf: result[key]?.arrayValue ?? [])
            guard let next = result["nextCursor"]?.stringValue, !next.isEmpty else { return items }
            cursor = next
        }
        return items
    }
}
