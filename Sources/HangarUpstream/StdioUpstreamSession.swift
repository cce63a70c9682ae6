import HangarCore
import HangarTransport
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// An upstream MCP server run as a child process speaking newline-delimited JSON-RPC.
final class StdioUpstreamSession: UpstreamSession {
    let server: String
    let child: any UpstreamProcess
    private let onEvent: @Sendable (UpstreamEvent) -> Void
    private let logger: Logger
    private let eventLoop: any EventLoop

    private struct Pending {
        var continuation: CheckedContinuation<UpstreamResult, any Error>
        /// Whether the caller takes an object result as text.
        var keepsText: Bool
        var sink: RequestNotificationSink?
        var ask: ServerRequestHandler?
        var method: String
        var deadline: NIODeadline
        var timeout: Duration
        /// The downstream's own progress token, restored on progress notifications.
        var progressToken: JSONValue?
    }

    private struct State {
        var channel: LineChannel?
        var nextID: Int64 = 1
        var pending: [Int64: Pending] = [:]
        var closedReason: String?
        var handshake: Handshake?
        var closeWaiters: [CheckedContinuation<String, Never>] = []
        /// One timer for every pending request, set for the earliest deadline (a timer per
        /// request cost a schedule and a cancel on the event loop per call).
        var timer: Scheduled<Void>?
        var timerDeadline: NIODeadline?
    }
    private let state = Mutex(State())

    var handshake: Handshake { state.withLock { $0.handshake! } }

    private init(server: String, child: any UpstreamProcess, logger: Logger, onEvent: @escaping @Sendable (UpstreamEvent) -> Void) {
        self.server = server
        self.child = child
        self.logger = logger
        self.onEvent = onEvent
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.next()
    }

    /// Starts the process, probes its era and completes the handshake.
    static func start(server: String, spec: ProcessSpec, connectTimeout: Duration, logger: Logger,
                      stderr: @escaping @Sendable (ByteBuffer) -> Void,
                      onEvent: @escaping @Sendable (UpstreamEvent) -> Void) async throws -> StdioUpstreamSession {
        let child = try await ChildProcess.spawn(spec)
        logger.debug("started", metadata: ["hangar.pid": "\(child.pid)", "hangar.cpu": "\(child.heldCPU.map(String.init) ?? "any")"])
        return try await attach(server: server, process: child, stdin: child.stdinFD, stdout: child.stdoutFD, stderr: child.stderrFD,
                                connectTimeout: connectTimeout, logger: logger, stderrLine: stderr, onEvent: onEvent)
    }

    /// Speaks MCP over the pipes of a process someone else started (a hosted workload): takes
    /// ownership of the descriptors, probes the era and completes the handshake.
    static func attach(server: String, process: any UpstreamProcess, stdin: Int32, stdout: Int32, stderr: Int32?,
                       connectTimeout: Duration, logger: Logger, stderrLine: @escaping @Sendable (ByteBuffer) -> Void,
                       onEvent: @escaping @Sendable (UpstreamEvent) -> Void) async throws -> StdioUpstreamSession {
        let session = StdioUpstreamSession(server: server, child: process, logger: logger, onEvent: onEvent)
        do {
            let channel = try await LineChannel.open(
                readFD: stdout, writeFD: stdin, maxLineBytes: JSONLimits.upstream.maxMessageBytes,
                onEvent: { [session] event in session.receive(event) },
                onClose: { [session] in Task { await session.stdoutClosed() } })
            session.state.withLock { $0.channel = channel }
            if let stderr {
                _ = try await LineChannel.open(readFD: stderr, writeFD: nil, maxLineBytes: 64 << 10,
                                               onEvent: { event in if case .line(let l) = event { stderrLine(l) } }, onClose: {})
            }
            try await session.handshake(timeout: connectTimeout)
            return session
        } catch {
            await session.close()
            throw error
        }
    }

    private func handshake(timeout: Duration) async throws {
        // Probe with server/discover; a handshake-only server answers with some error or stays silent.
        // Python servers can take seconds to start on a loaded machine, so the probe waits long
        // (as the official client does, 10 s) before deciding the server is a silent legacy one.
        let probeTimeout = min(timeout, .seconds(10))
        var learned = try await discover(timeout: probeTimeout)
        if learned == nil {
            do {
                let result = try await rawRequest(MCPMethod.initialize, params: ClientIdentity.initializeParams, timeout: timeout, sink: nil).value
                learned = ClientIdentity.legacyHandshake(from: result)
                state.withLock { $0.handshake = learned }
                send(.notification(.init(method: MCPMethod.initialized)))
            } catch let error as UpstreamError {
                // A modern server that answered the probe too late refuses initialize: ask again.
                guard case .remote(let e) = error.code, e.code == JSONRPCError.Code.unsupportedProtocolVersion.rawValue,
                      let modern = try await discover(timeout: timeout) else { throw error }
                learned = modern
            }
        }
        state.withLock { $0.handshake = learned }
    }

    /// `server/discover`: the handshake if the server is modern, nil if it is not (or is silent).
    private func discover(timeout: Duration) async throws -> Handshake? {
        do {
            let result = try await rawRequest(MCPMethod.discover, params: ClientIdentity.discoverParams, timeout: timeout, sink: nil).value
            return ClientIdentity.modernHandshake(from: result)
        } catch let error as UpstreamError {
            if case .died = error.code { throw error }
            return nil
        }
    }

    func request(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?, ask: ServerRequestHandler?) async throws -> JSONValue {
        let hs = handshake
        return try await rawRequest(method, params: ClientIdentity.shape(consume params, era: hs.era, version: hs.version), timeout: timeout, sink: sink, ask: ask).value
    }

    func requestKeepingText(_ method: String, params: consuming JSONValue?, timeout: Duration, sink: RequestNotificationSink?,
                            ask: ServerRequestHandler?) async throws -> UpstreamResult {
        let hs = handshake
        return try await rawRequest(method, params: ClientIdentity.shape(consume params, era: hs.era, version: hs.version), timeout: timeout,
                                    sink: sink, ask: ask, keepsText: true)
    }

    func notify(_ method: String, params: JSONValue?) async {
        let hs = handshake
        send(.notification(.init(method: method, params: ClientIdentity.shape(params, era: hs.era, version: hs.version))))
    }

    private func send(_ message: JSONRPCMessage) {
        state.withLock { $0.channel }?.send(message.serialized())
    }

    private func rawRequest(_ method: String, params: JSONValue?, timeout: Duration, sink: RequestNotificationSink?, ask: ServerRequestHandler? = nil,
                            keepsText: Bool = false) async throws -> UpstreamResult {
        let id = state.withLock { s -> Int64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        // Progress tokens are rewritten to the upstream request id, so two clients' tokens never collide.
        var params = params
        let originalToken = params?["_meta"]?[MetaKey.progressToken]
        if originalToken != nil { params?["_meta"]?[MetaKey.progressToken] = .int(id) }
        let bytes = JSONRPCMessage.request(.init(id: .int(id), method: method, params: params)).serialized()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<UpstreamResult, any Error>) in
                let deadline = NIODeadline.now() + .init(timeout)
                let channel = state.withLock { s -> Result<LineChannel, UpstreamError> in
                    if let reason = s.closedReason { return .failure(UpstreamError(.died, server: server, detail: exitDetail(reason))) }
                    guard let channel = s.channel else { return .failure(UpstreamError(.unavailable, server: server, detail: "not connected")) }
                    s.pending[id] = Pending(continuation: continuation, keepsText: keepsText, sink: sink, ask: ask, method: method, deadline: deadline,
                                            timeout: timeout, progressToken: originalToken)
                    if s.timerDeadline.map({ deadline < $0 }) ?? true { armTimer(for: deadline, in: &s) }
                    return .success(channel)
                }
                switch channel {
                case .failure(let e):
                    continuation.resume(throwing: e)
                case .success(let channel):
                    channel.send(bytes)
                    if Task.isCancelled {
                        abandon(id, UpstreamError(.cancelled, server: server, detail: "cancelled by the client"), reason: "cancelled by the client")
                    }
                }
            }
        } onCancel: {
            abandon(id, UpstreamError(.cancelled, server: server, detail: "cancelled by the client"), reason: "cancelled by the client")
        }
    }

    /// Sets the one timer for `deadline`, replacing an earlier-set one. Called under the lock.
    private func armTimer(for deadline: NIODeadline, in s: inout State) {
        s.timer?.cancel()
        s.timerDeadline = deadline
        s.timer = eventLoop.scheduleTask(deadline: deadline) { [self] in expire() }
    }

    /// The timer fired: fails every request past its deadline and sets the timer for the next.
    private func expire() {
        let now = NIODeadline.now()
        let expired = state.withLock { s -> [(Int64, Pending)] in
            s.timer = nil
            s.timerDeadline = nil
            let due = s.pending.filter { $0.value.deadline <= now }
            if let next = s.pending.values.lazy.filter({ $0.deadline > now }).map(\.deadline).min() {
                armTimer(for: next, in: &s)
            }
            return due.map { ($0.key, $0.value) }
        }
        for (id, pending) in expired {
            abandon(id, UpstreamError(.timeout, server: server, detail: "no answer to \(pending.method) within \(pending.timeout)"), reason: "timeout")
        }
    }

    /// Fails one pending request and tells the upstream to stop working on it.
    private func abandon(_ id: Int64, _ error: UpstreamError, reason: String) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        send(.notification(.init(method: MCPMethod.cancelled, params: ["requestId": .int(id), "reason": .string(reason)])))
        pending.continuation.resume(throwing: error)
    }

    private func receive(_ event: LineChannel.Event) {
        guard case .line(let line) = event else {
            logger.warning("upstream sent an oversize line; dropped", metadata: ["hangar.server": "\(server)"])
            return
        }
        // A result is kept as text for a caller that passes it on; anything else is parsed.
        let text = RawJSONObject(validating: line.readableBytesView, limits: .upstream)
        if let text, case .int(let id)? = text.resultResponseID,
           let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) {
            if pending.keepsText, let result = text.object("result") {
                pending.continuation.resume(returning: .text(result))
            } else {
                pending.continuation.resume(returning: .value(text["result"] ?? .null))
            }
            return
        }
        let message: JSONRPCMessage
        do {
            let value = try text?.value ?? JSONParser.parse(line.readableBytesView, limits: .upstream)
            message = try JSONRPCMessage(json: value)
        } catch {
            logger.warning("upstream sent a line that is not JSON-RPC", metadata: ["hangar.server": "\(server)", "error": "\(error)"])
            return
        }
        switch message {
        case .response(let response):
            guard case .int(let id)? = response.id,
                  let pending = state.withLock({ $0.pending.removeValue(forKey: id) })
            else { return }
            switch response.outcome {
            case .success(let result): pending.continuation.resume(returning: .value(result))
            case .failure(let error): pending.continuation.resume(throwing: UpstreamError(.remote(error), server: server, detail: error.message))
            }
        case .notification(let note):
            routeNotification(note)
        case .request(let request):
            // Over stdio a server's request names no request of ours: it belongs to the one in
            // flight that can ask its client. With none, or several, Hangar answers it itself.
            let askers = state.withLock { s in s.pending.values.compactMap(\.ask) }
            guard askers.count == 1, let ask = askers.first, request.method != MCPMethod.ping else {
                send(.response(.init(id: request.id, outcome: ClientIdentity.answer(serverRequest: request.method))))
                return
            }
            Task {
                let outcome = await ask(request.method, request.params)
                self.send(.response(.init(id: request.id, outcome: outcome)))
            }
        }
    }

    private func routeNotification(_ note: JSONRPCMessage.Notification) {
        switch note.method {
        case MCPMethod.progress:
            guard let token = note.params?[MetaKey.progressToken]?.intValue,
                  let pending = state.withLock({ $0.pending[token] }), let sink = pending.sink else { return }
            var params = note.params
            params?[MetaKey.progressToken] = pending.progressToken
            sink(note.method, params)
        default:
            if let event = UpstreamEvent(notification: note) { onEvent(event) }
        }
    }

    /// Stdout ended: the process is usually exiting. Wait a moment for its status so the
    /// error a client gets says how it ended.
    private func stdoutClosed() async {
        _ = await child.waitForExit(timeout: .milliseconds(250))
        closed(reason: "its stdout closed")
    }

    private func closed(reason: String) {
        let (pending, waiters) = state.withLock { s -> ([Pending], [CheckedContinuation<String, Never>]) in
            if s.closedReason == nil { s.closedReason = reason }
            s.timer?.cancel()
            s.timer = nil
            s.timerDeadline = nil
            defer { s.pending = [:]; s.closeWaiters = [] }
            return (Array(s.pending.values), s.closeWaiters)
        }
        let detail = exitDetail(reason)
        for p in pending {
            p.continuation.resume(throwing: UpstreamError(.died, server: server, detail: detail))
        }
        for w in waiters { w.resume(returning: detail) }
    }

    private func exitDetail(_ reason: String) -> String {
        if let code = child.exitCode {
            return code < 0 ? "the process was killed by signal \(-code)" : "the process exited with status \(code)"
        }
        return "the process ended (\(reason))"
    }

    func run() async -> String {
        // Wait for the process to exit, then for the pipe to drain and close.
        let code = await child.waitForExit()
        closed(reason: code < 0 ? "killed by signal \(-code)" : "exited with status \(code)")
        return await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Bool in
                if s.pending.isEmpty && s.closedReason != nil { return true }
                s.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume(returning: exitDetail("exited")) }
        }
    }

    func close() async {
        state.withLock { $0.channel }?.close()
        await child.sessionClosed()
        closed(reason: "stopped by Hangar")
    }
}
