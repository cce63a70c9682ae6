import Foundation
import HangarCore
import HangarPolicy
import HangarUpstream
import Synchronization

/// Multi round-trip requests toward modern clients: when a legacy upstream asks its client
/// something in the middle of a call (elicitation, sampling, roots), a 2026-07-28 client cannot
/// be sent a request. The gateway parks the upstream call, answers the client with an
/// `input_required` result carrying the question and a sealed `requestState`, and when the client
/// retries with `inputResponses` it hands the answers to the upstream and goes on waiting.
final class ParkedCalls: Sendable {
    /// Prefix of the `requestState` Hangar issues; any other state belongs to a modern upstream
    /// and passes through.
    static let statePrefix = "hangar."
    static let methods: Set<String> = [MCPMethod.toolsCall, MCPMethod.promptsGet, MCPMethod.resourcesRead]

    /// Whether a client with these capabilities can answer any request an upstream may send.
    static func canAnswer(_ capabilities: JSONValue?) -> Bool {
        guard let capabilities else { return false }
        return capabilities["elicitation"] != nil || capabilities["sampling"] != nil || capabilities["roots"] != nil
    }

    let seal = StateSeal()
    private let calls = Mutex<[String: ParkedCall]>([:])

    func add(_ call: ParkedCall) {
        let now = WallClock.milliseconds()
        let expired = calls.withLock { c -> [ParkedCall] in
            let old = c.values.filter { $0.expiresMs < now }
            for call in old { c.removeValue(forKey: call.id) }
            c[call.id] = call
            return old
        }
        for call in expired { call.task.withLock { $0 }?.cancel() }
    }

    func take(_ id: String) -> ParkedCall? { calls.withLock { $0[id] } }
    func remove(_ id: String) { calls.withLock { _ = $0.removeValue(forKey: id) } }
    var count: Int { calls.withLock { $0.count } }
}

/// One upstream call waiting for its client's input.
final class ParkedCall: Sendable {
    enum Event: Sendable {
        case asked
        case finished(Result<JSONValue, any Error>)
    }

    let id = UUID().uuidString
    let method: String
    /// The tool name or URI the call is for: a state is only good for the same request.
    let target: String
    let expiresMs: Int64
    let clientCapabilities: JSONValue
    let events: AsyncStream<Event>
    private let emit: AsyncStream<Event>.Continuation
    let task = Mutex<Task<Void, Never>?>(nil)

    private struct Questions {
        var next = 1
        /// Asked and not yet answered, in the order asked.
        var open: [(key: String, request: JSONValue, answer: CheckedContinuation<Result<JSONValue, JSONRPCError>, Never>)] = []
        var retrying = false
    }
    private let questions = Mutex(Questions())

    init(method: String, target: String, lifetime: Duration, clientCapabilities: JSONValue) {
        self.method = method
        self.target = target
        self.clientCapabilities = clientCapabilities
        expiresMs = WallClock.milliseconds() + lifetime.components.seconds * 1000
        (events, emit) = AsyncStream.makeStream(of: Event.self)
    }

    /// The upstream asks: a question for the client if it declared the capability, else the
    /// answer Hangar gives on its own.
    func ask(_ method: String, _ params: JSONValue?) async -> Result<JSONValue, JSONRPCError> {
        let capability = switch method {
        case MCPMethod.elicitationCreate: "elicitation"
        case MCPMethod.samplingCreateMessage: "sampling"
        case MCPMethod.rootsList: "roots"
        default: ""
        }
        guard !capability.isEmpty, clientCapabilities[capability] != nil else {
            if method == MCPMethod.rootsList { return .success(["roots": []]) }
            return .failure(JSONRPCError(.methodNotFound, "The client did not declare \(capability.isEmpty ? method : capability) support; Hangar cannot ask it '\(method)'"))
        }
        var request: JSONObject = ["method": .string(method)]
        if let params { request["params"] = params }
        return await withCheckedContinuation { continuation in
            questions.withLock { q in
                q.open.append((key: "\(capability)-\(q.next)", request: .object(request), answer: continuation))
                q.next += 1
            }
            emit.yield(.asked)
        }
    }

    func finish(_ result: Result<JSONValue, any Error>) {
        // Questions left open when the call ended are answered by nobody: release them.
        let open = questions.withLock { q in
            defer { q.open = [] }
            return q.open
        }
        for question in open { question.answer.resume(returning: .failure(JSONRPCError(.internalError, "the request ended"))) }
        emit.yield(.finished(result))
        emit.finish()
    }

    /// Hands the client's answers to the questions they name; others stay open.
    func answer(_ responses: JSONObject) {
        let answered = questions.withLock { q -> [(CheckedContinuation<Result<JSONValue, JSONRPCError>, Never>, JSONValue)] in
            var out: [(CheckedContinuation<Result<JSONValue, JSONRPCError>, Never>, JSONValue)] = []
            q.open.removeAll { question in
                guard let response = responses[question.key] else { return false }
                out.append((question.answer, response))
                return true
            }
            return out
        }
        for (continuation, response) in answered { continuation.resume(returning: .success(response)) }
    }

    /// The questions still open, as `inputRequests`.
    var openRequests: JSONObject {
        questions.withLock { q in
            var out = JSONObject()
            for question in q.open { out[question.key] = question.request }
            return out
        }
    }

    /// Only one retry at a time may wait on a parked call.
    func beginRetry() -> Bool {
        questions.withLock { q in
            if q.retrying { return false }
            q.retrying = true
            return true
        }
    }

    func endRetry() { questions.withLock { $0.retrying = false } }
}

extension Gateway {
    /// Forwards a call that may need its client's input (modern clients only), or the retry of one.
    func forwardAskingClient(_ method: String, params: JSONValue, target: String, upstream: Upstream,
                             sink: RequestNotificationSink?, context: RequestContext) async throws -> JSONValue {
        let principal = context.identity.name
        let call: ParkedCall
        if let state = params["requestState"]?.stringValue, state.hasPrefix(ParkedCalls.statePrefix) {
            let payload: JSONObject
            switch parked.seal.open(String(state.dropFirst(ParkedCalls.statePrefix.count)), principal: principal) {
            case .success(let p): payload = p
            case .failure(.expired): throw JSONRPCError.invalidParams("requestState has expired; send the request again without it")
            case .failure(.otherPrincipal): throw JSONRPCError.invalidParams("requestState was issued to another identity")
            case .failure: throw JSONRPCError.invalidParams("requestState is not one Hangar issued (altered or malformed)")
            }
            guard payload["m"]?.stringValue == method, payload["t"]?.stringValue == target else {
                throw JSONRPCError.invalidParams("requestState belongs to another request; retry the request it came with")
            }
            guard let id = payload["c"]?.stringValue, let found = parked.take(id) else {
                throw JSONRPCError.invalidParams("the request this requestState belongs to has ended; send it again without requestState")
            }
            if let responses = params["inputResponses"] {
                guard let object = responses.objectValue else { throw JSONRPCError.invalidParams("inputResponses must be an object") }
                found.answer(object)
            }
            call = found
        } else {
            let capabilities = params["_meta"]?[MetaKey.clientCapabilities] ?? [:]
            call = ParkedCall(method: method, target: target, lifetime: upstream.config.requestTimeout, clientCapabilities: capabilities)
            var upstreamParams = params
            upstreamParams["inputResponses"] = nil
            let started = Task { [call] in
                let result: Result<JSONValue, any Error>
                do {
                    result = .success(try await upstream.request(method, params: upstreamParams, sink: sink, ask: { m, p in await call.ask(m, p) }))
                } catch {
                    result = .failure(error)
                }
                call.finish(result)
            }
            call.task.withLock { $0 = started }
            parked.add(call)
        }
        guard call.beginRetry() else { throw JSONRPCError.invalidParams("this requestState is already being retried") }
        defer { call.endRetry() }
        func inputRequired(_ requests: JSONObject) -> JSONValue {
            let sealed = parked.seal.seal(["c": .string(call.id), "m": .string(method), "t": .string(target)],
                                          principal: principal, expiresMs: call.expiresMs)
            return ["resultType": "input_required", "inputRequests": .object(requests), "requestState": .string(ParkedCalls.statePrefix + sealed)]
        }
        // A question the retry left unanswered is asked again at once (the upstream is waiting for it).
        if params["requestState"] != nil, case let open = call.openRequests, !open.isEmpty { return inputRequired(open) }
        for await event in call.events {
            switch event {
            case .asked:
                let requests = call.openRequests
                guard !requests.isEmpty else { continue }
                return inputRequired(requests)
            case .finished(let result):
                parked.remove(call.id)
                return try result.get()
            }
        }
        parked.remove(call.id)
        throw JSONRPCError(.internalError, "the request ended without an answer")
    }
}
