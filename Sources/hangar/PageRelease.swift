import Foundation
import HangarCore
import Logging
import Synchronization

/// Gives back the pages the daemon no longer uses (see `ResidentPages`): once when it is
/// ready, since start-up's code never runs again, and after traffic once it has been idle
/// for `interval` (under 1% of a core) with its RSS grown by 2 MB or more since the last
/// release. `HANGAR_RELEASE_PAGES=0` keeps them, for comparison.
enum PageRelease {
    static var enabled: Bool { ProcessInfo.processInfo.environment["HANGAR_RELEASE_PAGES"] != "0" }

    /// The RSS after the last release (the whole process's: a release is process-wide).
    private static let lastReleased = Mutex(Int.max)

    static func now(_ logger: Logger, _ why: String) {
        guard enabled else { return }
        let released = ResidentPages.release()
        lastReleased.withLock { $0 = released.residentAfter }
        func megabytes(_ bytes: Int) -> Logger.MetadataValue { "\((Double(bytes) / 1_048_576 * 10).rounded() / 10)" }
        logger.info("released unused pages (\(why))",
                    metadata: ["rss_before_mb": megabytes(released.residentBefore), "rss_after_mb": megabytes(released.residentAfter)])
    }

    /// Checks every `interval` until cancelled.
    static func whileIdle(_ logger: Logger, interval: Duration = .seconds(10)) async {
        guard enabled else { return }
        var cpu = ResidentPages.cpuMicroseconds()
        let intervalMicros = Int(interval.components.seconds) * 1_000_000
        while (try? await Task.sleep(for: interval)) != nil {
            let used = ResidentPages.cpuMicroseconds() - cpu
            cpu += used
            guard used < intervalMicros / 100,
                  ResidentPages.residentBytes() >= lastReleased.withLock({ $0 }) &+ 2 << 20 else { continue }
            now(logger, "idle after traffic")
            cpu = ResidentPages.cpuMicroseconds()  // the release's own work is not traffic
        }
    }
}
