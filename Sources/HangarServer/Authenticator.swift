import HangarCore
import HangarGateway
import HangarPolicy
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Establishes who sends each HTTP request: an API key or bearer JWT in `Authorization`, or,
/// under `--auth local`, a loopback client without credentials as the local admin. Addresses
/// that fail too often are throttled (429) for a minute.
struct Authenticator: Sendable {
    let policy: PolicyPlane
    let mode: PolicyConfig.AuthMode
    let metrics: ServerMetrics
    /// Absolute URL of the protected resource metadata, for `WWW-Authenticate`.
    let metadataURL: String?
    /// Instance tokens (`hi_...`) of hosted servers.
    let instances: (@Sendable (String) -> Identity?)?
    private let failures: FailureThrottle

    init(policy: PolicyPlane, mode: PolicyConfig.AuthMode, metrics: ServerMetrics, metadataURL: String?,
         instances: (@Sendable (String) -> Identity?)? = nil) {
        self.instances = instances
        self.policy = policy
        self.mode = mode
        self.metrics = metrics
        self.metadataURL = metadataURL
        failures = FailureThrottle(limit: policy.config.maxAuthFailuresPerMinute)
    }

    /// The identity, or the response that refuses the request.
    func identify(_ request: Request, context: HangarRequestContext) async -> AuthOutcome {
        await identify(authorization: request.headers[.authorization], peer: context.remoteAddress, path: request.uri.path)
    }

    /// The same from the request's parts: its Authorization field, the client's address, and
    /// the path (for the audit record of a refusal).
    func identify(authorization: String?, peer: SocketAddress?, path: @autoclosure () -> String) async -> AuthOutcome {
        // The peer's address as text only where it is needed: the throttle, once some
        // address has failed, and refusals.
        let address = { peer?.ipAddress ?? "unknown" }
        if failures.anyNoted, let wait = failures.blocked(address()) {
            metrics.rejected("auth_throttled")
            return .refused(HTTPReplies.error(.tooManyRequests, id: nil,
                JSONRPCError(.invalidRequest, "Too many failed authentications from this address; retry in \(wait) s"),
                extra: [.retryAfter: String(wait)]).response)
        }
        guard let header = authorization else {
            if mode == .local, HangarRequestContext.isLoopback(peer) { return .identity(Identity.localAdmin) }
            metrics.rejected("unauthenticated")
            return .refused(challenge(nil, "Unauthorized: this endpoint needs an API key or a bearer token (Authorization: Bearer ...)"))
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return .refused(refuse(address(), "Unauthorized: use the Bearer scheme (Authorization: Bearer ...)"))
        }
        let credential = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        do {
            if credential.hasPrefix("hi_") {
                guard let identity = instances?(credential) else { throw PolicyError(.unauthenticated, "invalid instance token") }
                return .identity(identity)
            }
            if credential.hasPrefix("hk_") {
                guard let keyring = policy.keyring else { throw PolicyError(.unauthenticated, "API keys are not enabled here") }
                return .identity(try keyring.authenticate(credential))
            }
            guard let tokens = policy.tokens else { throw PolicyError(.unauthenticated, "bearer tokens are not accepted: no OAuth issuer is configured") }
            return .identity(try await tokens.verify(credential))
        } catch let error as PolicyError {
            policy.record(AuditEntry(identity: "anonymous@\(address())", action: "auth", target: path(), outcome: "denied", detail: error.message))
            return .refused(refuse(address(), "Unauthorized: \(error.message)"))
        } catch {
            return .refused(refuse(address(), "Unauthorized"))
        }
    }

    private func refuse(_ address: String, _ message: String) -> Response {
        failures.note(address)
        metrics.rejected("unauthenticated")
        return challenge("invalid_token", message)
    }

    /// 401 with a `WWW-Authenticate` challenge that points at the resource metadata (RFC 9728).
    private func challenge(_ error: String?, _ message: String) -> Response {
        var parts = [#"Bearer realm="hangar""#]
        if let error { parts.append(#"error="\#(error)""#) }
        if let metadataURL { parts.append(#"resource_metadata="\#(metadataURL)""#) }
        return HTTPReplies.error(.unauthorized, id: nil, JSONRPCError(.invalidRequest, message),
                                 extra: [.wwwAuthenticate: parts.joined(separator: ", ")]).response
    }
}

/// Who a request is from, or the response that refuses it.
enum AuthOutcome: Sendable {
    case identity(Identity)
    case refused(Response)
}

/// Failed authentications per address in a sliding minute.
final class FailureThrottle: Sendable {
    let limit: Int
    private let window: Duration = .seconds(60)
    private let state = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int) { self.limit = limit }

    func note(_ address: String) {
        let now = ContinuousClock.now
        state.withLock { s in
            var times = s[address, default: []].filter { now - $0 < window }
            times.append(now)
            s[address] = times
            if s.count > 10_000 { s = s.filter { !$0.value.isEmpty && now - $0.value.last! < window } }
        }
    }

    /// Whether any address has failed lately (it stays true until the table is pruned).
    var anyNoted: Bool { state.withLock { !$0.isEmpty } }

    /// Seconds until the address may try again, or nil when it is not blocked.
    func blocked(_ address: String) -> Int? {
        let now = ContinuousClock.now
        return state.withLock { s -> Int? in
            guard let times = s[address]?.filter({ now - $0 < window }), times.count >= limit, let oldest = times.first else { return nil }
            let left = window - (now - oldest)
            return max(1, Int(left.components.seconds) + 1)
        }
    }
}
