import Foundation
import Testing
import Analytics
@testable import Agent

/// `analytics.workers` and `analytics.ring_size` (docs/configuration.md, docs/pipeline.md).
@Suite struct WorkersConfigTests {
    @Test func defaultsAreCoresMinusOneAnd32MiB() throws {
        let a = try ConfigLoader.parse("analytics: {enabled: true}").analytics
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(a.workers == max(1, cores - 1))
        #expect(a.ringBytes == 32 << 20)
    }

    @Test func valuesAndAuto() throws {
        let a = try ConfigLoader.parse("analytics: {workers: 4, ring_size: 8MiB}").analytics
        #expect(a.workers == 4 && a.ringBytes == 8 << 20)
        #expect(try ConfigLoader.parse("analytics: {workers: auto}").analytics.workers == ShardedAnalyticsConfig.defaultWorkers)
    }

    @Test(arguments: [
        ("analytics: {workers: 0}", "analytics.workers", "from 1 to 64"),
        ("analytics: {workers: many}", "analytics.workers", "from 1 to 64"),
        ("analytics: {workers: 65}", "analytics.workers", "from 1 to 64"),
        ("analytics: {ring_size: 4KiB}", "analytics.ring_size", "from 1MiB to 1GiB"),
        ("analytics: {ring_size: 2GiB}", "analytics.ring_size", "from 1MiB to 1GiB"),
    ])
    func errorsNameTheOption(yaml: String, option: String, message: String) {
        expectConfigError(yaml, option: option, message: message)
    }
}
