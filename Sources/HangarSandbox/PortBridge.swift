import CHangarSystem
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Makes a port inside a sandbox's own network reachable from the host: a listener on the
/// host's loopback whose connections are relayed to 127.0.0.1:PORT inside the sandbox's network
/// namespace (each connection is made from a thread that enters the namespace). How the gateway
/// talks to a hosted server that speaks HTTP while the server itself has no network.
public final class PortBridge: Sendable {
    /// The port on the host's 127.0.0.1 that leads into the sandbox.
    public let hostPort: Int
    private let listener: any Channel

    private init(hostPort: Int, listener: any Channel) {
        self.hostPort = hostPort
        self.listener = listener
    }

    /// Listens on a free loopback port of the host; each connection goes to `port` inside the
    /// network namespace at `netnsPath` (e.g. `/proc/PID/ns/net`).
    public static func open(netnsPath: String, port: Int, logger: Logger,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> PortBridge {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BridgeHandler(netnsPath: netnsPath, port: port, logger: logger))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return PortBridge(hostPort: channel.localAddress?.port ?? 0, listener: channel)
    }

    /// Stops accepting; open connections end when either side closes.
    public func close() async {
        try? await listener.close()
    }
}

/// Connects one accepted connection into the namespace, then glues the two together.
private final class BridgeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let netnsPath: String
    let port: Int
    let logger: Logger

    init(netnsPath: String, port: Int, logger: Logger) {
        self.netnsPath = netnsPath
        self.port = port
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let (path, port, logger) = (netnsPath, self.port, self.logger)
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
        Thread.detachNewThread {
            let fd = hangar_connect_in_netns(path, Int32(port))
            eventLoop.execute {
                let (handler, context) = bound.value
                guard fd >= 0 else {
                    logger.debug("bridge: the hosted server does not accept on its port yet",
                                 metadata: ["hangar.port": "\(port)", "error": "\(String(cString: strerror(-fd)))"])
                    context.close(promise: nil)
                    return
                }
                ClientBootstrap(group: eventLoop)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .withConnectedSocket(fd)
                    .whenComplete { result in
                        let (handler, context) = bound.value
                        switch result {
                        case .failure:
                            context.close(promise: nil)
                        case .success(let inner):
                            handler.glue(context, inner)
                        }
                    }
                _ = handler
            }
        }
    }

    private func glue(_ context: ChannelHandlerContext, _ inner: any Channel) {
        let (ours, theirs) = GlueHandler.matchedPair()
        do {
            try inner.pipeline.syncOperations.addHandler(theirs)
            try context.pipeline.syncOperations.addHandler(ours)
        } catch {
            inner.close(promise: nil)
            context.close(promise: nil)
            return
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        context.read()
    }
}
