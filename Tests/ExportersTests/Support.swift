import Foundation
import Logging
@testable import Exporters

enum Support {
    static let logger: Logger = {
        var l = Logger(label: "vigie.test.exporters")
        l.logLevel = .critical
        return l
    }()

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigie-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func payload(_ i: Int) -> [UInt8] { Array("{\"kind\":\"conn\",\"seq\":\(i)}".utf8) }

    /// Reads everything `reader` has, waiting until `count` records came or `timeout` passed.
    static func drain(_ reader: SpoolReader, count: Int, timeout: Double = 10) -> [SpoolRecord] {
        var out: [SpoolRecord] = []
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline { out += reader.next(limit: 1000, waitSeconds: 0.2) }
        return out
    }

    /// The path of a tool on PATH, or nil.
    static func tool(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The package's build products directory (where `vigie-kafka-mock` is).
    static let productsDirectory: URL = {
        // The test bundle lives in .build/<config>/; executables are beside it.
        var url = Bundle.main.bundleURL
        if url.pathExtension == "xctest" { url = url.deletingLastPathComponent() }
        return url
    }()
}
