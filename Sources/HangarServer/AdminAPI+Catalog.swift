import Foundation
import HangarCatalog
import HangarCore
import HangarPolicy
import HTTPTypes
import Hummingbird

/// `/api/v1/catalog/...`: search, entries, reviews and ratings (user role: any identity),
/// installs, import and sync (operator); and the official registry API `/v0/servers...`
/// (user role) so other tools can use Hangar as a sub-registry.
extension AdminAPI {
    typealias Route = (HTTPRequest.Method, RouterPath, Role, @escaping @Sendable (Request, HangarRequestContext, Identity) async throws -> Response) -> Void

    func registerCatalog(router: Router<HangarRequestContext>, authenticate: @escaping @Sendable (Request, HangarRequestContext) async -> AuthOutcome,
                         route: Route) {
        guard let catalog else { return }
        func on(_ method: HTTPRequest.Method, _ path: RouterPath, _ role: Role,
                _ handler: @escaping @Sendable (Request, HangarRequestContext, Identity) async throws -> Response) {
            route(method, path, role) { request, context, identity in
                do { return try await handler(request, context, identity) } catch let e as CatalogError { return Self.problem(e) }
            }
        }
        on(.get, "catalog/search", .user) { request, _, _ in
            Self.reply(.ok, try await catalog.search(parameters: Self.parameters(request)))
        }
        on(.get, "catalog/featured", .user) { request, _, _ in
            var p = Self.parameters(request)
            p["featured"] = "true"
            return Self.reply(.ok, try await catalog.search(parameters: p))
        }
        on(.get, "catalog/trending", .user) { request, _, _ in
            var p = Self.parameters(request)
            p["sort"] = "trending"
            return Self.reply(.ok, try await catalog.search(parameters: p))
        }
        on(.get, "catalog/labels", .user) { _, _, _ in Self.reply(.ok, try await catalog.labels()) }
        on(.get, "catalog/entries/**", .user) { request, _, _ in
            let (name, action) = try Self.entryPath(request, after: "/api/v1/catalog/entries/")
            switch action {
            case nil: return Self.reply(.ok, try await catalog.entry(name))
            case "reviews": return Self.reply(.ok, try await catalog.reviews(name, limit: Int(Self.parameters(request)["limit"] ?? "") ?? 50))
            default: throw CatalogError(.notFound, "no such catalog path: \(action ?? "")")
            }
        }
        on(.put, "catalog/entries/**", .user) { request, _, identity in
            let (name, action) = try Self.entryPath(request, after: "/api/v1/catalog/entries/")
            guard action == "rating" else { throw CatalogError(.notFound, "PUT works on catalog/entries/NAME/rating") }
            let body = try await Self.body(request)
            guard let stars = body["stars"]?.intValue else { throw CatalogError(.invalid, "\"stars\" must be an integer from 1 to 5") }
            guard let review = body["review"].map({ $0.stringValue }) ?? "" else { throw CatalogError(.invalid, "\"review\" must be a string") }
            return Self.reply(.ok, try await catalog.rate(name, stars: Int(clamping: stars), review: review, by: identity))
        }
        on(.post, "catalog/entries/**", .operator) { request, _, identity in
            let (name, action) = try Self.entryPath(request, after: "/api/v1/catalog/entries/")
            guard action == "install" else { throw CatalogError(.notFound, "POST works on catalog/entries/NAME/install") }
            let body = try await Self.body(request)
            var values: [String: String] = [:]
            for (k, v) in body["secrets"]?.objectValue ?? [:] {
                guard let s = v.stringValue else { throw CatalogError(.invalid, "secrets.\(k) must be a string") }
                values[k] = s
            }
            let reply = try await catalog.install(name, as: body["server"]?.stringValue, values: values,
                                                  acceptPermissions: body["acceptPermissions"]?.boolValue ?? false, by: identity)
            return Self.reply(.created, reply)
        }
        on(.delete, "catalog/entries/**", .operator) { request, _, identity in
            let (name, action) = try Self.entryPath(request, after: "/api/v1/catalog/entries/")
            guard action == nil else { throw CatalogError(.notFound, "DELETE works on catalog/entries/NAME") }
            return Self.reply(.ok, try await catalog.remove(name, by: identity))
        }
        on(.get, "catalog/installs", .operator) { _, _, _ in Self.reply(.ok, try await catalog.installs()) }
        on(.delete, "catalog/installs/:server", .operator) { _, context, identity in
            try await catalog.uninstall(try context.parameters.require("server"), by: identity)
            return Response(status: .noContent)
        }
        on(.post, "catalog/import", .operator) { request, _, identity in
            Self.reply(.ok, try await catalog.importDocuments(try await Self.body(request), by: identity))
        }
        on(.get, "catalog/export", .user) { request, _, _ in
            Self.reply(.ok, try await catalog.export(Self.parameters(request)["name"]))
        }
        on(.post, "catalog/sync", .operator) { request, _, identity in
            let body = try await Self.body(request)
            guard let url = body["url"]?.stringValue else { throw CatalogError(.invalid, "\"url\" (the registry's base URL) is required") }
            guard let full = body["full"].map({ $0.boolValue }) ?? false else { throw CatalogError(.invalid, "\"full\" must be true or false") }
            return Self.reply(.ok, try await catalog.sync(from: url, bearer: body["key"]?.stringValue, full: full, by: identity))
        }
        registerRegistryAPI(router: router, authenticate: authenticate, catalog: catalog)
    }

    /// `GET /v0/servers`, `/v0/servers/{name}[/versions[/{version}]]`.
    private func registerRegistryAPI(router: Router<HangarRequestContext>, authenticate: @escaping @Sendable (Request, HangarRequestContext) async -> AuthOutcome,
                                     catalog: CatalogService) {
        @Sendable func serve(_ request: Request, _ context: HangarRequestContext, _ handler: @Sendable () async throws -> JSONValue) async -> Response {
            switch await authenticate(request, context) {
            case .refused(let refusal): return refusal
            case .identity(let identity):
                guard identity.kind != .instance else { return Self.problem(.forbidden, "forbidden", "an instance token opens only its own /i/NAME/mcp") }
                do { return Self.reply(.ok, try await handler()) } catch let e as CatalogError { return Self.problem(e) } catch {
                    return Self.problem(.internalServerError, "internal", "internal error")
                }
            }
        }
        router.get("v0/servers") { request, context in
            await serve(request, context) { try await catalog.v0List(parameters: Self.parameters(request)) }
        }
        router.get("v0/servers/**") { request, context in
            await serve(request, context) {
                let (name, action) = try Self.entryPath(request, after: "/v0/servers/")
                let parts = action?.split(separator: "/").map(String.init) ?? []
                switch parts.count {
                case 0: return try await catalog.v0Version(name: name, version: "latest")
                case 1 where parts[0] == "versions":
                    let latest = try await catalog.v0Version(name: name, version: "latest")
                    return ["servers": [latest], "metadata": ["count": 1]]
                case 2 where parts[0] == "versions": return try await catalog.v0Version(name: name, version: parts[1])
                default: throw CatalogError(.notFound, "no such registry path")
                }
            }
        }
    }

    static func problem(_ e: CatalogError) -> Response {
        let status: HTTPResponse.Status = switch e.code {
        case .invalid: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .upstream: .badGateway
        }
        return problem(status, e.code.rawValue, e.message)
    }

    static func parameters(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k)] = String(v) }
        return out
    }

    /// A catalog name (`namespace/name`, its slash sent as is or as %2F) and what follows it,
    /// read from the raw path after `prefix`.
    static func entryPath(_ request: Request, after prefix: String) throws -> (name: String, action: String?) {
        let raw = request.uri.string.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard raw.hasPrefix(prefix) else { throw CatalogError(.notFound, "no such catalog path") }
        let parts = raw.dropFirst(prefix.count).split(separator: "/").flatMap { segment in
            (String(segment).removingPercentEncoding ?? String(segment)).split(separator: "/").map(String.init)
        }
        guard parts.count >= 2 else { throw CatalogError(.notFound, "a catalog name looks like namespace/name, e.g. io.github.modelcontextprotocol/time") }
        return (parts[0] + "/" + parts[1], parts.count > 2 ? parts[2...].joined(separator: "/") : nil)
    }
}
