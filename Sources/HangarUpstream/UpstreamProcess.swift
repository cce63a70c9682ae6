import HangarTransport

/// The process behind a stdio upstream session: one Hangar spawned itself (`ChildProcess`),
/// or a hosted workload the supervisor owns (then closing the session does not stop it).
public protocol UpstreamProcess: Sendable {
    /// The exit status once known: negative for a signal.
    var exitCode: Int32? { get }
    func waitForExit() async -> Int32
    /// The status if it comes within `timeout`, else nil.
    func waitForExit(timeout: Duration) async -> Int32?
    /// Called when the session closes. A process the session owns is stopped here.
    func sessionClosed() async
}

extension ChildProcess: UpstreamProcess {
    public func sessionClosed() async {
        await terminate(grace: .seconds(2))
    }
}
