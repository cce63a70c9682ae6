import HangarPolicy
import Synchronization
import Testing

@Suite struct RateLimiterTests {
    final class FakeClock: Sendable {
        let now = Mutex(ContinuousClock.now)
        func advance(_ d: Duration) { now.withLock { $0 += d } }
        var read: @Sendable () -> ContinuousClock.Instant { { self.now.withLock { $0 } } }
    }

    @Test func aBucketAllowsItsBurstThenRefillsAtItsRate() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(limits: .init(perIdentity: .init(perSecond: 2, burst: 3)), now: clock.read)
        for _ in 0..<3 { _ = try limiter.acquire(identity: "a", server: "s", tool: "t") }
        #expect { try limiter.acquire(identity: "a", server: "s", tool: "t") } throws: { error in
            guard let e = error as? PolicyError, e.code == .rateLimited, let wait = e.retryAfter else { return false }
            return wait > .milliseconds(400) && wait <= .milliseconds(500) && e.message.contains("calls by a")
        }
        _ = try limiter.acquire(identity: "b", server: "s", tool: "t")  // another identity has its own bucket
        clock.advance(.milliseconds(500))
        _ = try limiter.acquire(identity: "a", server: "s", tool: "t")
        #expect(throws: PolicyError.self) { try limiter.acquire(identity: "a", server: "s", tool: "t") }
    }

    @Test func aRefusedCallTakesNoTokenFromTheOtherBuckets() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(limits: .init(perIdentity: .init(perSecond: 1, burst: 5), tools: ["slow": .init(perSecond: 1, burst: 1)]),
                                  now: clock.read)
        _ = try limiter.acquire(identity: "a", server: "s", tool: "slow")
        for _ in 0..<3 { #expect(throws: PolicyError.self) { try limiter.acquire(identity: "a", server: "s", tool: "slow") } }
        // The identity bucket still has 4 of 5: the refused calls did not drain it.
        for _ in 0..<4 { _ = try limiter.acquire(identity: "a", server: "s", tool: "other") }
        #expect(throws: PolicyError.self) { try limiter.acquire(identity: "a", server: "s", tool: "other") }
    }

    @Test("a refusal names what its bucket counts: calls by the identity, of the tool, to the server")
    func aRefusalNamesItsBucket() throws {
        let one = RateLimiter.Rate(perSecond: 1, burst: 1)
        for (limits, phrase) in [(RateLimiter.Limits(perIdentity: one), "calls by key:k1"),
                                 (RateLimiter.Limits(perTool: one), "calls of time__now"),
                                 (RateLimiter.Limits(perServer: one), "calls to server time")] {
            let limiter = RateLimiter(limits: limits, now: FakeClock().read)
            _ = try limiter.acquire(identity: "key:k1", server: "time", tool: "time__now")
            #expect { try limiter.acquire(identity: "key:k1", server: "time", tool: "time__now") } throws: { error in
                (error as? PolicyError)?.message.hasPrefix("Rate limit exceeded for \(phrase) (1/s); retry in 1 s") == true
            }
        }
    }

    @Test func concurrencyIsCappedPerIdentityAndFreedOnRelease() throws {
        let limiter = RateLimiter(limits: .init(concurrentPerIdentity: 2))
        let p1 = try limiter.acquire(identity: "a", server: "s", tool: "t")
        let p2 = try limiter.acquire(identity: "a", server: "s", tool: "t")
        #expect(throws: PolicyError.self) { try limiter.acquire(identity: "a", server: "s", tool: "t") }
        _ = try limiter.acquire(identity: "b", server: "s", tool: "t")
        p1.release()
        _ = try limiter.acquire(identity: "a", server: "s", tool: "t")
        p2.release()
    }

    @Test func theRetryHintBecomesAnHTTPRetryAfterAndAJSONRPCError() {
        let e = PolicyError(.rateLimited, "slow down", retryAfter: .milliseconds(1200))
        #expect(e.retryAfterSeconds == 2)
        #expect(e.rpcError.code == -31803)
        #expect(e.rpcError.data?["retryAfterMs"]?.intValue == 1200)
    }
}

@Suite struct PermissionsTests {
    let user = Identity(kind: .apiKey, id: "u1", role: .user)
    let op = Identity(kind: .apiKey, id: "o1", role: .operator)

    @Test func theFirstMatchingRuleDecidesAndAdminsMayDoEverything() {
        let p = Permissions(defaultEffect: .deny, rules: [
            .init(identities: ["key:u1"], tools: ["git__git_commit"], effect: .deny),
            .init(roles: [.user], servers: ["git"], effect: .allow),
            .init(roles: [.operator], tools: ["time__*"], effect: .allow),
        ])
        #expect(p.allows(user, server: "git", tool: "git__git_status"))
        #expect(!p.allows(user, server: "git", tool: "git__git_commit"))
        #expect(!p.allows(user, server: "time", tool: "time__get_current_time"))
        #expect(p.allows(op, server: "time", tool: "time__get_current_time"))
        #expect(!p.allows(op, server: "git", tool: "git__git_status"))
        #expect(p.allows(.localAdmin, server: "git", tool: "git__git_commit"))
    }

    @Test func identitiesWithTheSameRulesShareAListView() {
        let p = Permissions(rules: [.init(identities: ["key:u1"], tools: ["x"], effect: .deny)])
        #expect(p.view(of: user) != "all")
        #expect(p.view(of: Identity(kind: .apiKey, id: "u2", role: .user)) == "all")
        #expect(p.view(of: .localAdmin) == "all")
    }

    @Test(arguments: [("time__*", "time__now", true), ("time__*", "timex", false), ("a?c", "abc", true), ("*", "", true),
                      ("*__get_*", "git__get_log", true), ("exact", "exact", true), ("exact", "exact2", false)])
    func wildcards(_ pattern: String, _ name: String, _ expected: Bool) {
        let p = Permissions(defaultEffect: .deny, rules: [.init(tools: [pattern], effect: .allow)])
        #expect(p.allows(user, server: "s", tool: name) == expected)
    }
}
