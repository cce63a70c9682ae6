import ArgumentParser
import AsyncHTTPClient
import Foundation
import HangarCore
import NIOCore

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A hosted server's stderr (secrets redacted).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String
    @Option(help: "How many recent lines (default 100).") var lines = 100
    @Flag(name: [.short, .customLong("follow")], help: "Keep printing new lines until interrupted.") var follow = false

    func run() async throws {
        let client = daemon.client
        guard follow else {
            let reply = try await client.call(.GET, "servers/\(name)/logs?lines=\(lines)")
            if daemon.json { print(JSONWriter.string(reply)); return }
            for line in reply["lines"]?.arrayValue ?? [] { print(line.stringValue ?? "") }
            return
        }
        var request = HTTPClientRequest(url: client.base + "/api/v1/servers/\(name)/logs?follow=1&lines=\(lines)")
        if let key = client.key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, deadline: .distantFuture)
        } catch {
            throw CLIError("cannot reach the Hangar daemon at \(client.base) (\(error))")
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw CLIError("logs \(name): HTTP \(response.status.code): \(String(buffer: body))")
        }
        for try await chunk in response.body {
            FileHandle.standardOutput.write(Data(chunk.readableBytesView))
        }
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resource history of a hosted server (CPU, memory, open files, processes).")
    @OptionGroup var daemon: DaemonOptions
    @Argument var name: String

    func run() async throws {
        let reply = try await daemon.client.call(.GET, "servers/\(name)/stats")
        if daemon.json { print(JSONWriter.string(reply)); return }
        let rows: [[String]] = (reply["samples"]?.arrayValue ?? []).map { s in
            [s["time"]?.stringValue ?? "", String(format: "%.1f%%", s["cpuPercent"]?.doubleValue ?? 0),
             String(format: "%.1fM", Double(s["memoryBytes"]?.intValue ?? 0) / 1_048_576), String(s["openFiles"]?.intValue ?? 0),
             String(s["processes"]?.intValue ?? 0), s["oomKills"]?.intValue.map(String.init) ?? "-"]
        }
        printTable(["TIME", "CPU", "MEMORY", "FILES", "PROCESSES", "OOM KILLS"], rows)
    }
}

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Which isolation layers this machine gives hosted servers, and why any is missing.")
    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        let reply = try await daemon.client.call(.GET, "doctor")
        if daemon.json { print(JSONWriter.string(reply)); return }
        print(JSONWriter.string(reply))
    }
}
