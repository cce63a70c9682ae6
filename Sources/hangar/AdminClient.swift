import ArgumentParser
import AsyncHTTPClient
import Foundation
import HangarCore
import NIOCore
import NIOHTTP1

/// How the CLI reaches a running daemon: `--url` / `HANGAR_URL` (default
/// http://127.0.0.1:8700) and `--key` / `HANGAR_KEY`.
struct DaemonOptions: ParsableArguments {
    @Option(help: "The daemon's address (default: HANGAR_URL, else http://127.0.0.1:8700).")
    var url: String?

    @Option(help: "An API key (default: HANGAR_KEY). Not needed on loopback under --auth local.")
    var key: String?

    @Flag(help: "Print one JSON document.")
    var json = false

    var client: AdminClient {
        let env = ProcessInfo.processInfo.environment
        var base = url ?? env["HANGAR_URL"] ?? "http://127.0.0.1:8700"
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/mcp") { base.removeLast(4) }
        return AdminClient(base: base, key: key ?? env["HANGAR_KEY"])
    }
}

/// A failure to show the user: the message says what to do; the exit code is non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

struct AdminClient: Sendable {
    let base: String
    let key: String?

    /// Sends one admin API request; returns the decoded body of a 2xx answer, or throws a
    /// `CLIError` carrying the daemon's message. Installs (pip, catalog) get a longer `timeout`.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, timeout: TimeAmount = .seconds(60)) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + "/api/v1/" + path)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
        } catch {
            throw CLIError("cannot reach the Hangar daemon at \(base) (\(error)). Is `hangar serve` running? Point --url or HANGAR_URL at it.")
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let value = bytes.readableBytes == 0 ? JSONValue.null : (try? JSONParser.parse(Array(bytes.readableBytesView), limits: .upstream)) ?? .null
        guard (200..<300).contains(response.status.code) else {
            let message = value["error"]?["message"]?.stringValue ?? value["error"]?["message"]?.stringValue
                ?? String(buffer: bytes).trimmingCharacters(in: .whitespacesAndNewlines)
            var hint = ""
            if response.status.code == 401 { hint = " (give an API key with --key or HANGAR_KEY)" }
            throw CLIError("\(method.rawValue) \(path): HTTP \(response.status.code): \(message)\(hint)")
        }
        return value
    }
}

/// Prints rows as aligned columns.
func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }
    print(line(header))
    for row in rows { print(line(row)) }
}

func formatTime(_ ms: JSONValue?) -> String {
    guard let ms = ms?.intValue else { return "-" }
    let f = ISO8601DateFormatter()
    return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}
