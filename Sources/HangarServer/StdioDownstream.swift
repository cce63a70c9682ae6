import HangarCore
import HangarGateway
import HangarTransport
import Logging
import Synchronization

/// Serves the gateway to one client over our own stdin/stdout. The first message picks the era:
/// `initialize` makes the whole connection legacy; anything else is served as modern, per request.
public final class StdioDownstream: Sendable {
    let gateway: Gateway
    let metrics: ServerMetrics
    let logger: Logger
    private let inFlight = InFlightRequests()

    private struct State {
        var era: ProtocolEra?
        var legacyVersion = ProtocolVersion.latestLegacy
        var initialized = false
        /// Modern `subscriptions/listen` requests: id -> filter.
        var subscriptions: [RequestID: SubscriptionFilter] = [:]
        var listenerToken: Int?
    }
    private let state = Mutex(State())

    public init(gateway: Gateway, metrics: ServerMetrics = ServerMetrics(), logger: Logger) {
        self.gateway = gateway
        self.metrics = metrics
        self.logger = logger
    }

    /// Serves until stdin closes. Each line is read and decoded on the event loop and handled
    /// by one task of its own (no queue in between: a queue costs a wake-up per message).
    ///
    /// Input from a pipe is a client: when it ends, the client is gone and what is still running
    /// is cancelled. Input from a file (`hangar stdio < calls.jsonl`) is a script: every request
    /// is answered before the output closes. Files and devices epoll refuses are served through a pipe.
    public func run(readFD: Int32 = 0, writeFD: Int32 = 1) async throws {
        let limits = gateway.config.limits
        let replies = ChannelSlot()
        let (input, inputPump) = try PollableDescriptor.make(readFD, .input)
        let (output, outputPump) = try PollableDescriptor.make(writeFD, .output)
        let script = inputPump != nil  // input from a file, not from a client's pipe
        let finishScript: @Sendable () -> Void = { [inFlight] in
            Task {
                await inFlight.drained()
                // Answers the output could not take yet are still queued; closing would drop them.
                await replies.channel?.flushed()
                replies.channel?.close()
            }
        }
        let channel = try await LineChannel.open(
            readFD: input, writeFD: output, maxLineBytes: limits.maxMessageBytes, startReading: false,
            onEvent: { [self] event in
                guard let channel = replies.channel else { return }
                self.receive(event, limits: limits, channel: channel)
            },
            onInputEnd: script ? finishScript : nil,
            onClose: {})
        replies.channel = channel
        let token = gateway.addListener { [self] change in self.changed(change, channel: channel) }
        state.withLock { $0.listenerToken = token }
        defer { gateway.removeListener(token) }
        channel.startReading()
        // End of input closes the channel (both ways), and so does cancelling this task:
        // what is still running is cancelled.
        await withTaskCancellationHandler { await channel.closed } onCancel: { channel.close() }
        inFlight.cancelAll()
        await inFlight.drained()
        await outputPump?.value  // the answers reach a file before the process exits
    }

    private func receive(_ event: LineChannel.Event, limits: JSONLimits, channel: LineChannel) {
        switch event {
        case .oversize(let n):
            metrics.rejected("too_large")
            send(channel, .response(.error(nil, JSONRPCError(.parseError, "Message rejected: a line of \(n) bytes is over the limit of \(limits.maxMessageBytes)"))))
        case .line(let bytes):
            let frame = IncomingFrame.decode(bytes.readableBytesView, limits: limits)
            var id: RequestID?
            if case .single(.success(.request(let r))) = frame { id = r.id }
            inFlight.spawn(id) { await self.handle(frame, channel: channel) }
        }
    }

    /// The context of a list request on this connection (lists never change the era).
    private func listContext() -> RequestContext {
        let (era, version) = state.withLock { s -> (ProtocolEra, String) in
            if s.era == nil { s.era = .modern }  // as for any first message but initialize
            return (s.era!, s.legacyVersion)
        }
        return RequestContext(era: era, protocolVersion: era == .legacy ? version : ProtocolVersion.modern, identity: gateway.config.policy.stdioIdentity)
    }

    private func send(_ channel: LineChannel, _ message: JSONRPCMessage) {
        channel.send(message.serialized())
    }

    private func handle(_ frame: IncomingFrame, channel: LineChannel) async {
        switch frame {
        case .unreadable(let e):
            metrics.rejected(e.code == JSONRPCError.Code.parseError.rawValue ? "parse" : "invalid")
            send(channel, .response(.error(nil, e)))
        case .single(let item):
            if case .success(.request(let r)) = item, Gateway.listMethods.contains(r.method),
               let listed = await gateway.listResponse(r, context: listContext()) {
                channel.send(listed)
                return
            }
            guard let reply = await handle(item, channel: channel, tracked: true) else { return }
            // A request the client cancelled gets no answer (spec: cancellation); its task is the one cancelled.
            if Task.isCancelled { return }
            send(channel, .response(reply))
        case .batch(let items):
            let (era, version) = state.withLock { ($0.era, $0.legacyVersion) }
            guard era == .legacy, ProtocolVersion.allowsBatches(version) else {
                metrics.rejected("batch")
                let v = era == .legacy ? version : ProtocolVersion.modern
                send(channel, .response(.error(nil, JSONRPCError(.invalidRequest, "Invalid request: batches are not supported in protocol version \(v)"))))
                return
            }
            var replies: [JSONValue] = []
            for item in items {
                if let r = await handle(item, channel: channel, tracked: false) { replies.append(JSONRPCMessage.response(r).json) }
            }
            if !replies.isEmpty { channel.send(JSONWriter.bytes(.array(replies))) }
        }
    }

    /// `tracked`: the request already runs in a task `inFlight` can cancel by its id.
    private func handle(_ item: Result<JSONRPCMessage, InvalidEnvelope>, channel: LineChannel, tracked: Bool) async -> JSONRPCMessage.Response? {
        let message: JSONRPCMessage
        switch item {
        case .failure(let bad):
            metrics.rejected("invalid")
            return .error(bad.id, bad.error)
        case .success(let m):
            message = m
        }
        switch message {
        case .response:
            return nil
        case .notification(let n):
            if n.method == MCPMethod.cancelled, let raw = n.params?["requestId"], let id = RequestID(raw) {
                if !inFlight.cancel(id) { endSubscription(id, channel: channel) }
            } else if n.method == MCPMethod.initialized {
                state.withLock { $0.initialized = true }
            }
            return nil
        case .request(let r):
            let context: RequestContext
            if r.method == MCPMethod.initialize {
                let (ok, version) = state.withLock { s -> (Bool, String) in
                    guard s.era == nil else { return (false, "") }
                    s.era = .legacy
                    s.legacyVersion = ProtocolVersion.negotiateLegacy(r.params?["protocolVersion"]?.stringValue)
                    return (true, s.legacyVersion)
                }
                guard ok else {
                    metrics.rejected("invalid")
                    return .error(r.id, JSONRPCError(.invalidRequest, "Invalid request: initialize must be the first message of the connection"))
                }
                context = RequestContext(era: .legacy, protocolVersion: version, identity: gateway.config.policy.stdioIdentity)
            } else {
                let (era, version) = state.withLock { s -> (ProtocolEra, String) in
                    if s.era == nil { s.era = .modern }
                    return (s.era!, s.legacyVersion)
                }
                context = RequestContext(era: era, protocolVersion: era == .legacy ? version : ProtocolVersion.modern, identity: gateway.config.policy.stdioIdentity)
                if era == .modern, r.method == MCPMethod.subscriptionsListen {
                    return listen(r, channel: channel)
                }
            }
            metrics.request("stdio", era: context.era.rawValue)
            var ctx = context
            if r.params?["_meta"]?[MetaKey.progressToken] != nil {
                ctx.notify = { [channel] n in channel.send(JSONRPCMessage.notification(n).serialized()) }
            }
            if tracked { return await gateway.handle(r, context: ctx) }
            let finalContext = ctx
            return await inFlight.run(r.id) { [gateway] in await gateway.handle(r, context: finalContext) }
        }
    }

    private func listen(_ r: JSONRPCMessage.Request, channel: LineChannel) -> JSONRPCMessage.Response? {
        do { try Gateway.checkModernMeta(r.params) } catch let e as JSONRPCError { return .error(r.id, e) } catch { return nil }
        let filter = SubscriptionFilter(request: r)
        state.withLock { $0.subscriptions[r.id] = filter }
        send(channel, filter.acknowledgement)
        return nil  // answered when the subscription ends
    }

    private func endSubscription(_ id: RequestID, channel: LineChannel) {
        guard let filter = state.withLock({ $0.subscriptions.removeValue(forKey: id) }) else { return }
        send(channel, filter.closingResponse)
    }

    private func changed(_ change: CatalogChange, channel: LineChannel) {
        let (era, initialized, subscriptions) = state.withLock { ($0.era, $0.initialized, $0.subscriptions) }
        switch era {
        case .legacy:
            guard initialized else { return }
            var params: JSONValue?
            if case .resourceUpdated(let uri) = change { params = ["uri": .string(uri)] }
            send(channel, .notification(.init(method: change.notificationMethod, params: params)))
        case .modern:
            for filter in subscriptions.values {
                if let note = filter.notification(for: change) { send(channel, note) }
            }
        case nil:
            break
        }
    }
}

/// Where a channel's own event handler finds the channel, set once it is open.
private final class ChannelSlot: Sendable {
    private let slot = Mutex<LineChannel?>(nil)
    var channel: LineChannel? {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
