import ArgumentParser
import ServerHTTP

/// The `--search-*` options of `serve` (docs/search.md); which agents may be called and how is
/// still the `--drilldown-*` options' (search is off with drill-down).
struct SearchOptions: ParsableArguments {
    @Option(name: .customLong("search-concurrency"), help: "Agents one search asks at once (more are asked in turns; --drilldown-concurrency bounds all fetches together).")
    var concurrency: Int = 8

    @Option(name: .customLong("search-timeout"), help: "Seconds one agent may take to answer a search (connect: 5 s at most); past it the agent is reported missing.")
    var timeout: Double = 30

    @Option(name: .customLong("search-max-bytes"), help: "Largest merged pcap a search answers, in bytes (cut at a whole packet, flagged Vigie-Search-Truncated).")
    var maxBytes: Int = 1 << 30

    /// The options, checked.
    func config() throws -> SearchConfig {
        var c = SearchConfig()
        guard concurrency > 0, concurrency <= 1024 else { throw ValidationError("--search-concurrency: 1...1024") }
        c.concurrency = concurrency
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw ValidationError("--search-timeout: 0 < seconds <= 3600") }
        c.timeoutSeconds = timeout
        guard maxBytes >= 24 else { throw ValidationError("--search-max-bytes: at least 24 (a pcap file header)") }
        c.maxBytes = maxBytes
        return c
    }
}
