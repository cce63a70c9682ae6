import HangarCore
import HangarGateway
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The daemon's HTTP face: `/mcp` (both eras), `/healthz`, `/metrics`.
public struct HangarHTTPServer: Sendable {
    public let gateway: Gateway
    public let metrics: ServerMetrics
    let logger: Logger

    public init(gateway: Gateway, metrics: ServerMetrics = ServerMetrics(), logger: Logger) {
        self.gateway = gateway
        self.metrics = metrics
        self.logger = logger
    }

    /// Builds the Hummingbird application; `onRunning` receives the bound port.
    public func application(host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let endpoint = MCPHTTPEndpoint(gateway: gateway, sessions: LegacySessions(), metrics: metrics,
                                       origins: OriginPolicy(allowed: gateway.config.allowedOrigins),
                                       limits: gateway.config.limits, logger: logger)
        let router = Router(context: BasicRequestContext.self)
        router.post("mcp") { request, _ in await endpoint.post(request) }
        router.get("mcp") { request, _ in await endpoint.get(request) }
        router.delete("mcp") { request, _ in await endpoint.delete(request) }
        router.get("healthz") { [gateway] _, _ in
            HTTPReplies.json(.ok, JSONWriter.bytes(Self.health(gateway)))
        }
        router.get("metrics") { [metrics] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.prometheusText)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "hangar"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
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
