import Foundation
import Logging
import VigieTestSupport
@testable import Transport

/// The exporter tests' own helpers (the shared ones are in VigieTestSupport's ``Support``).
extension Support {
    static let logger: Logger = {
        var l = Logger(label: "vigie.test.exporters")
        l.logLevel = .critical
        return l
    }()

    static func payload(_ i: Int) -> [UInt8] { Array("{\"kind\":\"conn\",\"seq\":\(i)}".utf8) }

    /// Reads everything `reader` has, waiting until `count` records came or `timeout` passed.
    static func drain(_ reader: SpoolReader, count: Int, timeout: Double = 10) -> [SpoolRecord] {
        var out: [SpoolRecord] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline { out += reader.next(limit: 1000, waitSeconds: 0.2) }
        return out
    }
}
