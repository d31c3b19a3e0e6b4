/// A bad configuration value, naming the option (as a YAML path or a CLI flag) and the file.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Dotted option path, e.g. `storage.quota`.
    public var option: String
    public var message: String
    /// Config file the value came from, nil for command-line flags.
    public var file: String?

    public init(option: String, _ message: String, file: String? = nil) {
        self.option = option
        self.message = message
        self.file = file
    }

    public var description: String {
        (file.map { "\($0): " } ?? "") + "option '\(option)': \(message)"
    }
}
