/// Explicit limits on incoming JSON. Exceeding one is an error with a clear message, never a crash.
public struct JSONLimits: Sendable, Hashable {
    /// Largest message accepted, in bytes (default 4 MiB).
    public var maxMessageBytes: Int
    /// Deepest nesting of arrays and objects (default 64).
    public var maxDepth: Int
    /// Most elements in one array or members in one object (default 1,000,000).
    public var maxContainerCount: Int
    /// Most messages in one JSON-RPC batch (default 100).
    public var maxBatchCount: Int

    public init(maxMessageBytes: Int = 4 << 20, maxDepth: Int = 64, maxContainerCount: Int = 1_000_000, maxBatchCount: Int = 100) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDepth = maxDepth
        self.maxContainerCount = maxContainerCount
        self.maxBatchCount = maxBatchCount
    }

    public static let `default` = JSONLimits()
    /// For trusted input such as our own upstream children's replies: large but still bounded.
    public static let upstream = JSONLimits(maxMessageBytes: 64 << 20, maxDepth: 512)
}
