import ArgumentParser

/// `vigie-server`: the correlation server (service weather from the agents' records).
@main
struct VigieServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigie-server",
        abstract: "Vigie correlation server: ingests agent records and computes the service weather.",
        subcommands: [ServeCommand.self]
    )
}
