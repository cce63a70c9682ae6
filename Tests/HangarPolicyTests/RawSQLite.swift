import Foundation
import HangarStore

/// Direct SQL on a store's file, bypassing Hangar (to play an attacker in tests). Python's
/// sqlite3 module does it; the wait for it does not block a concurrency thread.
enum RawSQLite {
    struct Failure: Error { let message: String }

    static func execute(path: String, sql: String) async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", path, sql]
        let err = Pipe()
        p.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            p.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch { p.terminationHandler = nil; continuation.resume(throwing: error) }
        }
        if status != 0 {
            throw Failure(message: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
    }
}
