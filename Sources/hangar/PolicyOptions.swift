import ArgumentParser
import Foundation
import HangarGateway
import HangarStore
import AsyncHTTPClient
import NIOCore

/// Opens the store in the data directory and the policy plane over it.
func openPolicy(_ config: GatewayConfig) async throws -> PolicyPlane {
    // Everything Hangar writes (database, keys, logs) is for its own user only.
    umask(0o077)
    try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
    let store = try SQLiteStore(directory: config.dataDirectory)
    do {
        return try await PolicyPlane.open(config: config.policy, store: store, dataDirectory: config.dataDirectory,
                                          jwksLoader: loadJWKS)
    } catch {
        throw ValidationError("cannot start the policy plane: \(error)")
    }
}

/// A JWKS document from a file, or from an http(s) URL.
@Sendable func loadJWKS(_ source: String) async throws -> String {
    if source.hasPrefix("https://") || source.hasPrefix("http://") {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: source), timeout: .seconds(10))
        guard response.status == .ok else { throw ValidationError("fetching the JWKS at \(source) gave HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: 1 << 20)
        return String(buffer: body)
    }
    return try await PolicyPlane.readFile(source)
}
