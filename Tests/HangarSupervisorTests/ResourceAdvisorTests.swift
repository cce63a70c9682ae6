import Foundation
import Testing
@testable import HangarSupervisor

@Suite("Resource advice from measured usage")
struct ResourceAdvisorTests {
    let mib = 1 << 20
    func samples(_ memory: [Int], cpu: Double = 0.1, spacing: TimeInterval = 5, oom: Int? = nil) -> [MetricsSample] {
        memory.enumerated().map { i, m in
            MetricsSample(time: Date(timeIntervalSince1970: 1_000_000 + Double(i) * spacing), cpuPercent: cpu, memoryBytes: m, openFiles: 5, processes: 1, oomKills: oom)
        }
    }
    func snapshot(_ state: WorkloadState = .running, restarts: Int = 0) -> WorkloadSnapshot {
        WorkloadSnapshot(name: "s", state: state, pid: nil, startedAt: nil, uptime: nil, restarts: restarts, lastExit: nil, lastError: nil,
                         cpuPercent: nil, memoryBytes: nil, openFiles: nil, oomKills: nil, isolation: nil, port: nil, expiresAt: nil, logError: nil)
    }

    @Test("A limit far above the peak is lowered to twice the peak; one near the peak or after OOM kills is raised")
    func memoryLimits() {
        var spec = WorkloadSpec(name: "s", command: ["x"])
        spec.limits.memoryBytes = 1024 * mib
        let low = ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples([40 * mib, 50 * mib, 45 * mib]))
        #expect(low.map(\.kind) == [.lowerMemoryLimit])
        #expect(low.first?.suggested == 112 * mib)
        spec.limits.memoryBytes = 64 * mib
        let high = ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples([60 * mib, 62 * mib, 61 * mib]))
        #expect(high.map(\.kind) == [.raiseMemoryLimit])
        let oom = ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples([10 * mib, 10 * mib, 10 * mib], oom: 2))
        #expect(oom.first?.message.contains("OOM-killed 2 times") == true)
        spec.limits.memoryBytes = nil
        #expect(ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples([10 * mib, 10 * mib, 10 * mib])).map(\.kind) == [.setMemoryLimit])
        // Too few samples: no usage advice yet.
        #expect(ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples([10 * mib])).isEmpty)
    }

    @Test("A crash loop and a long-idle server without a TTL are named; a busy one is not")
    func crashAndIdle() {
        var spec = WorkloadSpec(name: "s", command: ["x"])
        spec.limits.memoryBytes = 64 * mib
        let failed = ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(.failed, restarts: 5), samples: [])
        #expect(failed.map(\.kind) == [.crashLoop])
        let idle = ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples(Array(repeating: 30 * mib, count: 130), cpu: 0.2))
        #expect(idle.map(\.kind) == [.idleWithoutTTL])
        let busy = ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples(Array(repeating: 30 * mib, count: 130), cpu: 40))
        #expect(busy.isEmpty)
        spec.timeToLive = .seconds(3600)
        #expect(ResourceAdvisor.recommend(spec: spec, snapshot: snapshot(), samples: samples(Array(repeating: 30 * mib, count: 130), cpu: 0.2)).isEmpty)
    }
}
