import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Hummingbird's `Application` without its per-request logger, and with requests that fit
/// in memory answered by ``DirectRequestHandler`` rather than through the async channel.
/// `Application.run()` gives every request a logger copy with a fresh request-id entry and
/// binds it as a task-local: about 4% of a call's CPU with 16 HTTP clients (9,700 -> 10,100
/// calls/s to the fast upstream), for an id Hangar never logs. Otherwise the same: the router
/// answers, errors become 500, and each response carries Date and Server headers.
struct HangarApplication<Responder: HTTPResponder>: ApplicationProtocol where Responder.Context == HangarRequestContext {
    let responder: Responder
    /// The answer to `POST /mcp` read straight from the wire, which the router also gives: that
    /// route is most of the traffic, and for it ``DirectRequestHandler`` builds no `Request`,
    /// `HTTPFields` or request context, and skips the router's trie and responder chain.
    let postMCP: DirectRequestHandler.PostMCP
    let configuration: ApplicationConfiguration
    let logger: Logger
    let running: @Sendable (any Channel) async -> Void

    @Sendable func onServerRunning(_ channel: any Channel) async { await running(channel) }

    func run() async throws {
        let (responder, postMCP, logger) = (self.responder, self.postMCP, self.logger)
        let stamp = ResponseStamp(date: HTTPDate(), server: configuration.serverName)
        let c = configuration
        let serverConfiguration = ServerConfiguration(address: c.address, serverName: c.serverName, backlog: c.backlog,
                                                      reuseAddress: c.reuseAddress, availableConnectionsDelegate: c.availableConnectionsDelegate)
        let answer: DirectRequestHandler.Answer = { request, channel in
            var response: Response
            do {
                let context = HangarRequestContext(source: .init(channel: channel, logger: logger))
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error  // a body that broke off: Hummingbird answers 400 and closes
            } catch {
                logger.debug("unhandled error answering a request", metadata: ["error": "\(error)"])
                response = Response(status: .internalServerError)
            }
            return response
        }
        // Requests that fit in memory are answered by DirectRequestHandler, which writes the
        // stamp's lines into the head itself; the rest (chunked or large bodies) reach the
        // responder below through NIO's decoder and Hummingbird's async channel.
        let http = HTTPServerBuilder { responder in
            DirectFirst(inner: HTTP1Channel(responder: responder), answer: answer, postMCP: postMCP, stamp: stamp)
        }
        let server = try http.buildServer(configuration: serverConfiguration, eventLoopGroup: eventLoopGroup, logger: logger,
                                          responder: { request, writer, channel in
            var response = try await answer(request, channel)
            stamp.apply(to: &response.headers)
            try await writer.write(response: response.head, body: response.body)
        }, onServerRunning: { await self.onServerRunning($0) })
        try await ServiceGroup(configuration: .init(services: [server], logger: logger)).run()
    }
}

/// Hummingbird's HTTP/1 connection with ``DirectRequestHandler`` first in its pipeline, ahead
/// of NIO's decoder, so that the requests it answers never reach the decoder.
struct DirectFirst: ServerChildChannel {
    let inner: HTTP1Channel
    let answer: DirectRequestHandler.Answer
    let postMCP: DirectRequestHandler.PostMCP
    let stamp: ResponseStamp

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(DirectRequestHandler(answer: answer, postMCP: postMCP, stamp: stamp), position: .first)
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// The Date and Server fields every response carries, as Hummingbird's application adds them.
struct ResponseStamp: Sendable {
    let date: HTTPDate
    let server: String?

    func apply(to headers: inout HTTPFields) {
        headers[.date] = date.now
        if let server { headers[.server] = server }
    }
}

/// The HTTP Date header of the current second, formatted once per second that has a request
/// (no timer: an idle daemon is not woken for it).
final class HTTPDate: Sendable {
    private let cached = Mutex<(second: Int, text: String)>((-1, ""))

    var now: String {
        var second = time(nil)
        return cached.withLock { c in
            if c.second != second {
                var parts = tm()
                gmtime_r(&second, &parts)
                c = (second, Self.format(parts))
            }
            return c.text
        }
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 9110 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func format(_ t: tm) -> String {
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }
}
