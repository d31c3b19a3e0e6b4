import Foundation

/// Locates the shared capture corpus and tshark for the agreement tests.
public enum Corpus {
    /// `<package root>/../shared/corpus`, found from this file's path. Symlinks are resolved so the
    /// tests also find it when the test folder is linked into a scratch package.
    public static let directory: String? = {
        let thisFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let packageRoot = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus").path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: corpus, isDirectory: &isDirectory) && isDirectory.boolValue ? corpus : nil
    }()

    /// Capture files in the corpus (`.pcap` / `.pcapng`), sorted; empty when the corpus is absent.
    public static let files: [String] = {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }()

    /// The tshark executable, from PATH or /usr/bin.
    public static let tshark: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
            let candidate = dir + "/tshark"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    public static let isAvailable = directory != nil && tshark != nil
}
