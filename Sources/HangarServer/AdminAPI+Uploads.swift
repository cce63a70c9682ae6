import Foundation
import HangarCore
import HangarGateway
import HangarPackages
import HangarPolicy
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/v1/servers/upload?name=NAME[&scan=block|strict|warn][&start=false]`: a packaged
/// server as `multipart/form-data` (the part named `archive`) or as the raw body.
extension AdminAPI {
    /// Uploads larger than this are refused before they are read further (the archive limit is
    /// 50 MiB; multipart framing takes a little more).
    static let maxUploadBytes = 51 << 20

    func registerUploads(route: (HTTPRequest.Method, RouterPath, Role, @escaping @Sendable (Request, HangarRequestContext, Identity) async throws -> Response) -> Void) {
        guard let hosted else { return }
        let policy = self.policy
        route(.post, "servers/upload", .operator) { request, _, identity in
            let q = request.uri.queryParameters
            guard let name = q["name"].map(String.init), !name.isEmpty else { throw BadRequest("give the server's name: ?name=NAME") }
            let scan = try HostedServers.scanPolicy(named: q["scan"].map(String.init))
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: Self.maxUploadBytes) } catch {
                return Self.problem(.contentTooLarge, "too_large", "the upload is over \(Self.maxUploadBytes >> 20) MiB")
            }
            let archive = try Self.archive(in: Array(body.readableBytesView), contentType: request.headers[.contentType])
            let (status, answer) = try await Self.upload(hosted, policy: policy, name: name, archive: archive, scan: scan,
                                                         start: q["start"] != "false", identity: identity.name)
            return Self.reply(status, answer)
        }
    }

    /// Hosts an uploaded package and answers as the API does (also the MCP tool's answer).
    static func upload(_ hosted: HostedServers, policy: PolicyPlane, name: String, archive: [UInt8], scan: ScanPolicy,
                       start: Bool, identity: String) async throws -> (HTTPResponse.Status, JSONValue) {
        do {
            let result = try await hosted.upload(name: name, archive: archive, scanPolicy: scan, start: start)
            policy.record(AuditEntry(identity: identity, action: "admin.servers.upload", target: name, outcome: "ok",
                                     detail: "\(archive.count) bytes; \(result.report.findings.count) findings"))
            var answer = try json(hosted.supervisor.status(name))
            answer["instance"] = ["path": .string("/i/\(name)/mcp"), "token": .string(result.token)]
            answer["scan"] = HostedServers.json(result.report)
            return (.created, answer)
        } catch let blocked as HostedServers.UploadBlocked {
            policy.record(AuditEntry(identity: identity, action: "admin.servers.upload", target: name, outcome: "denied", detail: "scan policy"))
            return (.unprocessableContent, ["error": ["code": "scan_blocked",
                                                           "message": .string("the package was refused by the scan policy:\n\(blocked.report.summary)")],
                                                 "scan": HostedServers.json(blocked.report)])
        } catch let error as PackageError {
            policy.record(AuditEntry(identity: identity, action: "admin.servers.upload", target: name, outcome: "invalid", detail: error.kind.rawValue))
            let status: HTTPResponse.Status = error.kind == .archiveTooLarge || error.kind == .tooLarge ? .contentTooLarge : .badRequest
            return (status, ["error": ["code": .string(error.kind.rawValue), "message": .string(error.message)]])
        }
    }

    /// The archive in a multipart body (part `archive`, or the first file part) or the raw body.
    static func archive(in body: [UInt8], contentType: String?) throws -> [UInt8] {
        guard let type = contentType, type.lowercased().hasPrefix("multipart/form-data") else { return body }
        guard let boundary = type.split(separator: ";").compactMap({ part -> String? in
            let p = part.trimmingCharacters(in: .whitespaces)
            guard p.lowercased().hasPrefix("boundary=") else { return nil }
            return String(p.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }).first, !boundary.isEmpty else { throw BadRequest("multipart/form-data needs a boundary") }
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [(headers: String, data: ArraySlice<UInt8>)] = []
        var cursor = 0
        while let start = find(delimiter, in: body, from: cursor) {
            var partStart = start + delimiter.count
            if body[partStart...].starts(with: Array("--".utf8)) { break }  // the closing delimiter
            if body[partStart...].starts(with: Array("\r\n".utf8)) { partStart += 2 }
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: partStart),
                  let next = find(Array("\r\n".utf8) + delimiter, in: body, from: headerEnd + 4) else {
                throw BadRequest("the multipart body is truncated")
            }
            parts.append((String(decoding: body[partStart..<headerEnd], as: UTF8.self), body[(headerEnd + 4)..<next]))
            cursor = next + 2
        }
        let chosen = parts.first { $0.headers.contains("name=\"archive\"") } ?? parts.first { $0.headers.contains("filename=") }
        guard let chosen else { throw BadRequest("the multipart body has no part named \"archive\"") }
        return Array(chosen.data)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        while i <= haystack.count - needle.count {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
