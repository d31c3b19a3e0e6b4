import Foundation
import Testing
import Analytics
@testable import Agent

/// `analytics.reassembly` (docs/configuration.md): defaults, sizes and durations, clear errors.
@Suite struct ReassemblyConfigTests {
    @Test func defaultsAreOnWithTheDocumentedCaps() throws {
        let r = try ConfigLoader.parse("analytics: {enabled: true}").analytics.reassembly
        #expect(r == StreamReassemblyConfig())
        #expect(r.enabled && r.maxMessageStartBytes == 16 * 1024 && r.maxFlowBytes == 256 * 1024)
        #expect(r.maxTotalBytes == 64 * 1024 * 1024 && r.holeTimeoutNanos == 2_000_000_000)
    }

    @Test func sizesAndDurations() throws {
        let r = try ConfigLoader.parse("""
            analytics:
              reassembly:
                enabled: false
                max_message_bytes: 8KiB
                max_flow_bytes: 1M
                max_total_bytes: 2G
                hole_timeout: 500ms
            """).analytics.reassembly
        #expect(!r.enabled && r.maxMessageStartBytes == 8192 && r.maxFlowBytes == 1 << 20 && r.maxTotalBytes == 2 << 30)
        #expect(r.holeTimeoutNanos == 500_000_000)
    }

    @Test(arguments: [
        ("analytics: {reassembly: {max_message_bytes: 10}}", "analytics.reassembly.max_message_bytes", "must be from 256"),
        ("analytics: {reassembly: {max_flow_bytes: 1T}}", "analytics.reassembly.max_flow_bytes", "must be from 0"),
        ("analytics: {reassembly: {hole_timeout: 0s}}", "analytics.reassembly.hole_timeout", "more than 0"),
        ("analytics: {reassembly: {enabled: maybe}}", "analytics.reassembly.enabled", "true or false"),
        ("analytics: {reassembly: {max_bytes: 1M}}", "analytics.reassembly.max_bytes", "unknown option"),
    ])
    func errorsNameTheOption(yaml: String, option: String, message: String) {
        expectConfigError(yaml, option: option, message: message)
    }
}
