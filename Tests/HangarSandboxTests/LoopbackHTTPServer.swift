import Foundation
import Synchronization

/// A tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that answers every request with
/// `hello from <path>` and counts requests. Blocking sockets on a thread of its own.
final class LoopbackHTTPServer: Sendable {
    let port: Int
    private let listener: Int32
    private let count = Mutex(0)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var requests: Int { count.withLock { $0 } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var head: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 2048)
            while !String(decoding: head, as: UTF8.self).contains("\r\n\r\n") {
                let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                head += buffer[..<n]
            }
            let requestLine = String(decoding: head, as: UTF8.self).split(separator: "\r\n").first ?? ""
            let path = requestLine.split(separator: " ").dropFirst().first ?? "?"
            count.withLock { $0 += 1 }
            let body = "hello from \(path)"
            let reply = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = reply.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }
}
