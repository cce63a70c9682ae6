import HangarCore
import HangarGateway
import HangarPolicy
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The daemon's HTTP face: `/mcp` (both eras), the admin API under `/api/v1`, the OAuth
/// protected resource metadata, `/healthz`, `/metrics`. Every route but health and metadata
/// is authenticated.
public struct HangarHTTPServer: Sendable {
    public let gateway: Gateway
    public let metrics: ServerMetrics
    public let hosted: HostedServers?
    public let catalog: CatalogService?
    let logger: Logger

    public init(gateway: Gateway, hosted: HostedServers? = nil, catalog: CatalogService? = nil, metrics: ServerMetrics = ServerMetrics(), logger: Logger) {
        self.gateway = gateway
        self.hosted = hosted
        self.catalog = catalog
        self.metrics = metrics
        self.logger = logger
    }

    /// Builds the Hummingbird application; `onRunning` receives the bound port.
    public func application(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let endpoint = MCPHTTPEndpoint(gateway: gateway, sessions: LegacySessions(), metrics: metrics,
                                       origins: OriginPolicy(allowed: gateway.config.allowedOrigins),
                                       limits: gateway.config.limits, logger: logger)
        let oauth = gateway.policy.tokens?.settings
        let metadataURL = oauth.map { Self.metadataURL(forResource: $0.audience) }
        let hosted = self.hosted
        var instances: (@Sendable (String) -> Identity?)?
        if let hosted { instances = { token in hosted.authenticateInstance(token) } }
        let auth = Authenticator(policy: gateway.policy, mode: gateway.config.policy.auth, metrics: metrics, metadataURL: metadataURL,
                                 instances: instances)
        let router = Router(context: HangarRequestContext.self)
        @Sendable func authenticated(_ handler: @escaping @Sendable (Request, Identity) async -> Response) -> @Sendable (Request, HangarRequestContext) async -> Response {
            { request, context in
                switch await auth.identify(request, context: context) {
                case .identity(let identity): return await handler(request, identity)
                case .refused(let refusal): return refusal
                }
            }
        }
        /// An instance token opens only its own `/i/NAME/mcp`.
        @Sendable func instanceRefused(_ identity: Identity) -> Response? {
            guard identity.kind == .instance else { return nil }
            metrics.rejected("forbidden")
            return HTTPReplies.error(.forbidden, id: nil, JSONRPCError(.forbidden, "Forbidden: an instance token opens only /i/\(identity.id)/mcp")).response
        }
        @Sendable func mainEndpoint(_ handler: @escaping @Sendable (Request, Identity) async -> Response) -> @Sendable (Request, HangarRequestContext) async -> Response {
            authenticated { request, identity in
                if let refused = instanceRefused(identity) { return refused }
                return await handler(request, identity)
            }
        }
        @Sendable func instanceEndpoint(_ handler: @escaping @Sendable (MCPHTTPEndpoint, Request, Identity) async -> Response) -> @Sendable (Request, HangarRequestContext) async -> Response {
            { request, context in
                guard let name = context.parameters.get("id"), (try? hosted?.supervisor.spec(name)) != nil else {
                    return HTTPReplies.error(.notFound, id: nil, JSONRPCError(.invalidRequest, "No such instance")).response
                }
                switch await auth.identify(request, context: context) {
                case .refused(let refusal): return refusal
                case .identity(let identity):
                    if identity.kind == .instance, identity.id != name {
                        metrics.rejected("forbidden")
                        return HTTPReplies.error(.forbidden, id: nil, JSONRPCError(.forbidden, "Forbidden: this token opens only /i/\(identity.id)/mcp")).response
                    }
                    return await handler(endpoint.scoped(to: name), request, identity)
                }
            }
        }
        router.post("mcp", use: mainEndpoint { request, identity in await endpoint.post(request, identity: identity) })
        let postMCP: DirectRequestHandler.PostMCP = { headers, body, peer in
            switch await auth.identify(authorization: headers.authorization, peer: peer, path: "/mcp") {
            case .refused(let refusal): return .response(refusal)
            case .identity(let identity):
                if let refused = instanceRefused(identity) { return .response(refused) }
                return await endpoint.post(headers: headers, body: body, identity: identity)
            }
        }
        router.get("mcp", use: mainEndpoint { request, identity in await endpoint.get(request, identity: identity) })
        router.delete("mcp", use: mainEndpoint { request, identity in await endpoint.delete(request, identity: identity) })
        router.post("i/:id/mcp", use: instanceEndpoint { e, request, identity in await e.post(request, identity: identity) })
        router.get("i/:id/mcp", use: instanceEndpoint { e, request, identity in await e.get(request, identity: identity) })
        router.delete("i/:id/mcp", use: instanceEndpoint { e, request, identity in await e.delete(request, identity: identity) })
        AdminAPI(gateway: gateway, hosted: hosted, catalog: catalog).register(on: router) { request, context in await auth.identify(request, context: context) }
        if let oauth {
            let metadata = JSONWriter.bytes([
                "resource": .string(oauth.audience),
                "authorization_servers": .array(oauth.authorizationServers.map { .string($0) }),
                "bearer_methods_supported": ["header"],
                "scopes_supported": .array(oauth.scopesSupported.map { .string($0) }),
                "resource_name": "Hangar MCP gateway",
            ])
            let serve: @Sendable (Request, HangarRequestContext) async -> Response = { _, _ in HTTPReplies.json(.ok, metadata) }
            router.get(".well-known/oauth-protected-resource", use: serve)
            router.get(".well-known/oauth-protected-resource/mcp", use: serve)
        }
        router.get("healthz") { [gateway] _, _ in
            HTTPReplies.json(.ok, JSONWriter.bytes(Self.health(gateway)))
        }
        router.get("metrics") { [metrics, hosted] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.prometheusText + (hosted.map(Self.hostedMetrics) ?? ""))))
        }
        return HangarApplication(
            responder: router.buildResponder(),
            postMCP: postMCP,
            configuration: .init(address: .hostname(host, port: port), serverName: "hangar"),
            logger: logger,
            running: { channel in await onRunning(channel.localAddress?.port ?? port) }
        )
    }

    /// RFC 9728: the metadata of `https://host/path` lives at `https://host/.well-known/oauth-protected-resource/path`.
    static func metadataURL(forResource resource: String) -> String {
        guard let schemeEnd = resource.range(of: "://") else { return resource }
        let afterScheme = resource[schemeEnd.upperBound...]
        let slash = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let origin = resource[..<slash]
        let path = afterScheme[slash...]
        return origin + "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path)
    }

    /// Upstream states and catalog sizes.
    public static func health(_ gateway: Gateway) -> JSONValue {
        var servers = JSONObject()
        for upstream in gateway.pool.upstreams {
            let s = upstream.status
            var o: JSONObject = ["state": .string(s.state.rawValue), "restarts": .int(Int64(s.restarts))]
            if let era = s.era { o["era"] = .string(era.rawValue) }
            if let v = s.version { o["protocolVersion"] = .string(v) }
            if let e = s.lastError { o["lastError"] = .string(e) }
            servers[upstream.name] = .object(o)
        }
        let catalog = gateway.catalog
        return [
            "status": "ok",
            "servers": .object(servers),
            "tools": .int(Int64(catalog.tools.count)),
            "prompts": .int(Int64(catalog.prompts.count)),
            "resources": .int(Int64(catalog.resources.count)),
        ]
    }
}

extension HangarHTTPServer {
    /// Per hosted server (names are `A-Z a-z 0-9 . _ -`, safe as label values): state, restarts,
    /// memory, OOM kills and the egress proxy's decisions.
    static func hostedMetrics(_ hosted: HostedServers) -> String {
        var out = """
            # TYPE hangar_hosted_up gauge
            # TYPE hangar_hosted_restarts_total counter
            # TYPE hangar_hosted_memory_bytes gauge
            # TYPE hangar_hosted_oom_kills_total counter
            # TYPE hangar_egress_requests_total counter

            """
        for server in hosted.supervisor.list() {
            let label = "server=\"\(server.name)\""
            out += "hangar_hosted_up{\(label)} \(server.state == .running ? 1 : 0)\n"
            out += "hangar_hosted_restarts_total{\(label)} \(server.restarts)\n"
            if let memory = server.memoryBytes { out += "hangar_hosted_memory_bytes{\(label)} \(memory)\n" }
            if let oom = server.oomKills { out += "hangar_hosted_oom_kills_total{\(label)} \(oom)\n" }
            if let egress = hosted.supervisor.egressCounts(server.name) {
                out += "hangar_egress_requests_total{\(label),decision=\"allowed\"} \(egress.allowed)\n"
                out += "hangar_egress_requests_total{\(label),decision=\"denied\"} \(egress.denied)\n"
            }
        }
        return out
    }
}
