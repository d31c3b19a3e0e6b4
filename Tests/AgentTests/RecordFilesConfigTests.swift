import Testing
@testable import Agent

/// `analytics.record_files*` (docs/configuration.md): the record files' switch, bound and compression.
@Suite struct RecordFilesConfigTests {
    @Test func compressionIsOnByDefault() throws {
        let a = try ConfigLoader.parse("analytics: {enabled: true}").analytics
        #expect(a.recordFiles && a.recordFilesCompress && a.recordFilesBytes == 1 << 30)
    }

    @Test func keysAreRead() throws {
        let a = try ConfigLoader.parse("""
            analytics:
              record_files: true
              record_files_size: 256MiB
              record_files_compress: false
            """).analytics
        #expect(a.recordFiles && !a.recordFilesCompress && a.recordFilesBytes == 256 << 20)
    }

    @Test(arguments: [
        ("analytics: {record_files_compress: gzip}", "analytics.record_files_compress", "true or false"),
        ("analytics: {record_files_compress: [true]}", "analytics.record_files_compress", "true or false"),
        ("analytics: {record_files_compression: true}", "analytics.record_files_compression", "unknown option"),
    ])
    func errorsNameTheOption(yaml: String, option: String, message: String) {
        expectConfigError(yaml, option: option, message: message)
    }
}
