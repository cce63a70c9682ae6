import NIOCore
import NIOPosix
import Synchronization

/// Runs a task's nonisolated code on one event loop without a trip through the loop's queue
/// at every async call.
///
/// With NIO installed as the global executor, NIO runs each job isolated to the loop's serial
/// executor. Every nonisolated async function wants the generic executor, so on entry (and on
/// return to its caller) the runtime saw a different executor and enqueued the task again:
/// 46 task switches and 48 jobs through the loop's queue for one proxied tools/call. A task
/// that prefers this executor runs its jobs on the generic executor, on the same thread, and
/// those switches happen in place.
///
/// Only tasks created with the preference use it (`Task(executorPreference:)`); their child
/// tasks inherit it, unstructured tasks they start do not.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Never run in place, even on the loop: the caller (a channel handler resuming a
        // continuation, say) must return before the task goes on.
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// One executor per loop, for the life of the process (a task does not keep its
    /// preferred executor alive; the loops live as long).
    private static let byLoop = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    public static func on(_ eventLoop: any EventLoop) -> EventLoopTaskExecutor {
        byLoop.withLock { executors in
            let key = ObjectIdentifier(eventLoop as AnyObject)
            if let executor = executors[key] { return executor }
            let executor = EventLoopTaskExecutor(eventLoop)
            executors[key] = executor
            return executor
        }
    }

    /// The executor of the event loop this thread runs, if it runs one.
    public static var here: EventLoopTaskExecutor? {
        MultiThreadedEventLoopGroup.currentEventLoop.map(on)
    }
}
