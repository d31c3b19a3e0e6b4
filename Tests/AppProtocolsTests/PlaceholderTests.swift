import Testing
@testable import AppProtocols

// Replaced by the parser suites.
@Test func moduleLoads() { #expect(String(describing: AppProtocols.self) == "AppProtocols") }
