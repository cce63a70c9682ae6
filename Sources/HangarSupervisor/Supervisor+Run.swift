import Foundation
import HangarCore
import HangarTransport
import ServiceLifecycle

extension Supervisor {
    /// Runs the workloads until cancelled or until a graceful shutdown, then terminates every
    /// child (SIGTERM, grace, SIGKILL to its process group) before returning. Call once.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.runTimers() }
                group.addTask { await self.runSampler() }
                for await job in self.jobs {
                    switch job {
                    case .launch(let name):
                        group.addTask { await self.runProcess(name) }
                    case .terminate(let name, let grace):
                        guard let process = self.state.withLock({ $0.entries[name]?.process }) else { continue }
                        group.addTask { await process.terminate(grace: grace) }
                    case .healthCheck(let name, let timer):
                        group.addTask { await self.runHealthCheck(name, timer: timer) }
                    }
                }
                group.cancelAll()
            }
        }
    }

    // MARK: Processes

    /// One process of a workload, from launch to cleanup: its stderr goes to the log, its
    /// readiness and exit go to the state machine.
    func runProcess(_ name: String) async {
        guard var spec = state.withLock({ $0.entries[name]?.spec }) else { return }
        var port: Int?
        if spec.needsPort {
            do {
                port = try ports.allocate()
                spec.environment["PORT"] = String(port!)
            } catch {
                report(name, .launchFailed(reason: "\(error)"))
                return
            }
        }
        let process: any LaunchedWorkload
        do {
            process = try await launcher.launch(spec)
        } catch {
            if let port { ports.release(port) }
            report(name, .launchFailed(reason: "cannot launch: \(error)"))
            return
        }
        let cpus = (try? CPUAffinity.current(thread: process.pid)).map { CPUAffinity.format($0) }
        let known = state.withLock { s -> Bool in
            guard s.entries[name] != nil else { return false }
            s.entries[name]!.process = process
            s.entries[name]!.cpus = cpus
            s.entries[name]!.port = port
            s.entries[name]!.startedAt = Date()
            s.entries[name]!.lastCPU = nil
            s.entries[name]!.isolation = process.isolation
            return true
        }
        let target = WorkloadTarget(spec: spec, process: process, port: port)
        if known { report(name, .launched(pid: process.pid)) }
        let log = state.withLock { $0.entries[name]?.log }

        let exit: WorkloadExit = await withTaskGroup(of: Void.self) { pumps in
            let drained = Wakeup()
            pumps.addTask {
                for await line in process.stderrLines { log?.append(line) }
                drained.signal()
            }
            var exit = await known ? waitUntilReadyAndExited(name, target) : nil
            if exit == nil {
                // The supervisor is stopping (or the workload was removed under it): the
                // workload ends stopped, not crashed.
                report(name, .stopRequested)
                await process.terminate(grace: min(spec.stopGrace, configuration.shutdownGrace))
                exit = await process.waitForExit()
            } else {
                // Kill whatever the server left behind in its process group.
                await process.terminate(grace: .zero)
            }
            _ = await withTimeout(configuration.stderrDrainTimeout) {
                await drained.wait()
                return true
            }
            await process.cleanup()
            return exit ?? .killed(signal: SIGKILL)
        }
        if let port { ports.release(port) }
        await connector.disconnect(target)
        state.withLock { s in
            guard s.entries[name] != nil else { return }
            s.entries[name]!.process = nil
            s.entries[name]!.port = nil
            s.entries[name]!.startedAt = nil
        }
        report(name, .exited(exit))
    }

    /// Connects to the process (with the start timeout) while waiting for its exit; reports
    /// readiness or a failed start. Nil if the supervisor is being cancelled.
    private func waitUntilReadyAndExited(_ name: String, _ target: WorkloadTarget) async -> WorkloadExit? {
        await withTaskGroup(of: WorkloadExit??.self) { group in
            group.addTask {
                let timeout = target.spec.health.startTimeout
                let outcome: Result<Void, any Error>? = await withTimeout(timeout) {
                    do {
                        try await self.connector.connect(target)
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
                guard !Task.isCancelled else { return .none }
                switch outcome {
                case .success: self.report(name, .ready)
                case .failure(let error): self.report(name, .launchFailed(reason: "not ready: \(error)"))
                case nil: self.report(name, .launchFailed(reason: "not ready within \(timeout)"))
                }
                return .none
            }
            group.addTask { .some(await target.process.waitForExit()) }
            while let result = await group.next() {
                if case .some(let exit) = result {
                    group.cancelAll()
                    return exit
                }
            }
            return nil
        }
    }

    private func runHealthCheck(_ name: String, timer: UInt64) async {
        guard let target = state.withLock({ s -> WorkloadTarget? in
            guard let entry = s.entries[name], let process = entry.process else { return nil }
            return WorkloadTarget(spec: entry.spec, process: process, port: entry.port)
        }) else { return }
        let limit = target.spec.health.interval ?? .seconds(10)
        let healthy = await withTimeout(limit) { await self.healthCheck.check(target) } ?? false
        guard !Task.isCancelled else { return }
        report(name, healthy ? .healthCheckPassed(timer: timer) : .healthCheckFailed(timer: timer))
    }

    // MARK: Timers

    /// Fires backoff, health-check and expiry timers at their deadlines; woken whenever the
    /// set of timers changes.
    private func runTimers() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (due, next) = state.withLock { s -> ([(TimerKey, UInt64)], ContinuousClock.Instant?) in
                var due: [(TimerKey, UInt64)] = []
                for (key, timer) in s.timers where timer.deadline <= now {
                    due.append((key, timer.id))
                    s.timers[key] = nil
                }
                return (due, s.timers.values.map(\.deadline).min())
            }
            for (key, id) in due {
                switch key.kind {
                case .backoff: report(key.name, .backoffElapsed(timer: id))
                case .expiry: report(key.name, .expiryReached(timer: id))
                case .healthCheck: jobSink.yield(.healthCheck(name: key.name, timer: id))
                }
            }
            guard due.isEmpty else { continue }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.timerWakeup.wait() }
                group.addTask {
                    if let next {
                        try? await Task.sleep(until: next, clock: .continuous)
                    } else {
                        await waitUntilCancelled()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    // MARK: Metrics

    private func runSampler() async {
        while !Task.isCancelled {
            await sampleMetrics()
            try? await Task.sleep(for: configuration.sampleInterval)
        }
    }

    /// Measures every running workload now (CPU since its previous sample, memory, open files)
    /// and appends a sample to its history. Runs every `sampleInterval` inside `run()`.
    public func sampleMetrics() async {
        let running = state.withLock { s in
            s.entries.compactMap { name, entry in entry.process.map { (name, $0) } }
        }
        guard !running.isEmpty else { return }
        let table = ProcessTable.read()
        for (name, process) in running {
            guard let usage = table.usage(of: process.pid) else { continue }
            let fromLauncher = await process.resourceUsage()
            let cpuTime = fromLauncher?.cpuTime ?? usage.cpuTime
            let now = ContinuousClock.now
            state.withLock { s in
                guard var entry = s.entries[name], let current = entry.process, current.pid == process.pid else { return }
                // CPU time moves in clock ticks (10 ms): over a short interval the ratio is noise, so a
                // new percentage needs at least 200 ms of wall time; it never exceeds every core busy.
                var percent = entry.samples.last?.cpuPercent ?? 0
                if let last = entry.lastCPU {
                    let wall = last.at.duration(to: now).seconds
                    if wall >= 0.2 {
                        let cap = 100 * Double(ProcessInfo.processInfo.activeProcessorCount)
                        percent = min(cap, max(0, (cpuTime - last.time).seconds / wall * 100))
                        entry.lastCPU = (cpuTime, now)
                    }
                } else {
                    entry.lastCPU = (cpuTime, now)
                }
                entry.samples.append(MetricsSample(
                    time: Date(), cpuPercent: percent, memoryBytes: fromLauncher?.memoryBytes ?? usage.rssBytes,
                    openFiles: usage.openFiles, processes: usage.processes, oomKills: fromLauncher?.oomKills))
                if entry.samples.count > configuration.sampleHistory {
                    entry.samples.removeFirst(entry.samples.count - configuration.sampleHistory)
                }
                s.entries[name] = entry
            }
        }
    }
}
