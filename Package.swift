// swift-tools-version:6.0
import PackageDescription

// Layering (one-way, lower first; docs/architecture.md follows one packet, one record, one request):
//   C wrappers: CPcap -> PcapKit; CRdKafka, CCurl, CZlib -> Transport; CZlib -> Analytics too (the
//     record files are gzipped when closed); CLibPQ -> Correlation.
//   Foundations: SystemIO (POSIX files, SystemError, CRC-32, wall clock, own threads), TimeFormat
//     (RFC 3339), PcapFormat, PacketDecoding, AppProtocols (DNS, HTTP, TLS parsers).
//   Records (the record: kinds, field names, writer, parser) <- TimeFormat.
//   Indexer <- PacketDecoding, PcapFormat, AppProtocols (names), TimeFormat, SystemIO.
//   Analytics <- PacketDecoding, AppProtocols, Records, SystemIO.
//   Transport (spool, Kafka and HTTP clients for both processes) <- Records, SystemIO.
//   HTTPListener (TLS, connection limits, token files, listener settings) under both HTTP APIs.
//   Observability (metrics catalog and exposition, systemd notify and watchdog) <- SystemIO; used by
//     both HTTP APIs and both executables.
//   Agent side: Agent <- PcapKit, Indexer, Analytics, Transport, HTTPListener; AgentHTTP <- Agent;
//     VigieAgent (vigie-agent) <- AgentHTTP.
//   Server side: Correlation <- Records, CLibPQ; ServerHTTP <- Correlation, Transport, HTTPListener, Indexer (query syntax);
//     VigieServer (vigie-server) <- ServerHTTP.
//   Tools: VigieTrafficGen (vigie-gen), VigieKafkaMock, VigieBench.
//   Tests: one <Module>Tests target per module, EndToEndTests across agent and server,
//     VigieTestSupport the one helper target.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "vigie",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigie-agent", targets: ["VigieAgent"]),
        .executable(name: "vigie-gen", targets: ["VigieTrafficGen"]),
        .executable(name: "vigie-kafka-mock", targets: ["VigieKafkaMock"]),
        .executable(name: "vigie-bench", targets: ["VigieBench"]),
        .executable(name: "vigie-server", targets: ["VigieServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Thin system-library target over libpcap; only PcapKit imports it.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Safe Swift API over libpcap: offline reader, live capture, BPF programs.
        .target(name: "PcapKit", dependencies: ["CPcap", "PcapFormat"], swiftSettings: strict),
        // Pure-Swift pcap file format: headers, record writer, record scanner (recovery).
        .target(name: "PcapFormat", swiftSettings: strict),
        // Zero-copy packet decoder (link, VLAN, IPv4/IPv6, TCP/UDP/SCTP/ICMP); pure Swift.
        .target(name: "PacketDecoding", swiftSettings: strict),
        // The one system layer: POSIX file calls (EINTR, errno as SystemError), atomic publication,
        // mmap, CRC-32, wall clock, blocking work on a thread of its own.
        .target(name: "SystemIO", swiftSettings: strict),
        // Application-layer parsers (DNS, HTTP/1.x, TLS handshake): zero-copy, pure Swift.
        .target(name: "AppProtocols", swiftSettings: strict),
        // RFC 3339 times: formatting and parsing without Foundation, one rule per kind of input.
        .target(name: "TimeFormat", swiftSettings: strict),
        // The record, one definition end to end: kinds (name, schema version, spool priority, topic),
        // field names, the agent's JSON writer and the server's validating parser.
        .target(name: "Records", dependencies: ["TimeFormat"], swiftSettings: strict),
        // The fleet's wire types and central-configuration policy (docs/fleet.md), shared by the
        // agent's fleet client and the server's registry.
        .target(name: "Fleet", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // Traffic analytics: flow table, TCP state, application transactions, service states,
        // dependency edges and the records that carry them.
        // Release builds skip dynamic exclusivity checks here: the per-packet path mutates a
        // handful of class properties, and the runtime checks cost ~20 % of its time.
        .target(
            name: "Analytics", dependencies: ["PacketDecoding", "AppProtocols", "Records", "SystemIO", "CZlib"],
            swiftSettings: strict + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Thin system-library targets over librdkafka, libcurl and zlib; Transport imports them (and
        // Analytics zlib, for the record files).
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Thin system-library target over libpq (PostgreSQL client); only Correlation imports it.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // How records and packets travel, for both processes: the durable spool, Kafka (sink, consumer,
        // mock cluster) and HTTP clients (sink, drill-down fetch).
        .target(
            name: "Transport",
            dependencies: ["CRdKafka", "CCurl", "CZlib", "Records", "SystemIO", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Per-segment field index, query language and extraction.
        .target(name: "Indexer", dependencies: ["PacketDecoding", "PcapFormat", "AppProtocols", "TimeFormat", "SystemIO"], swiftSettings: strict),
        // Agent core: segmented storage, catalog, retention, recovery, pipeline, config.
        .target(
            name: "Agent",
            dependencies: [
                "PcapKit", "PcapFormat", "Indexer", "Analytics", "Transport", "PacketDecoding", "HTTPListener",
                "Records", "TimeFormat", "SystemIO", "Fleet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // What the agent's and the server's HTTP listeners share: TLS (swift-nio-ssl), connection
        // limits (cap, eviction, head and idle deadlines), token files, query-string decoding.
        .target(
            name: "HTTPListener",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // What both processes show to the infrastructure that watches them: metrics (swift-metrics in
        // the code, swift-prometheus behind it, one catalog of names and help texts per process),
        // readiness, and systemd's notify protocol (READY, WATCHDOG, STATUS).
        .target(
            name: "Observability",
            dependencies: [
                "SystemIO",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The agent's HTTP query API (Hummingbird): packets as pcap, segments, status.
        .target(
            name: "AgentHTTP",
            dependencies: [
                "Agent", "Indexer", "PcapFormat", "HTTPListener", "SystemIO", "Observability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VigieAgent",
            dependencies: [
                "Agent", "Indexer", "AgentHTTP", "HTTPListener", "SystemIO", "Observability", "Fleet",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Test/demo support: librdkafka's mock Kafka cluster in its own process.
        .executableTarget(name: "VigieKafkaMock", dependencies: ["Transport"], swiftSettings: strict),
        // Benchmark traffic generator: writes a realistic synthetic capture.
        .executableTarget(
            name: "VigieTrafficGen",
            dependencies: [
                "PcapFormat", "TimeFormat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Benchmarks of the analytics engine (decode + flow tracking speed, flow-table memory) and of
        // the Kafka export (spool -> KafkaSink -> mock cluster).
        .executableTarget(
            name: "VigieBench",
            dependencies: [
                "Analytics", "Correlation", "Indexer", "PcapFormat", "PacketDecoding", "Records", "Transport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Correlation server core: inventory model, state propagation, ingest, dedup, storage
        // (SQLite embedded; PostgreSQL through libpq when several instances share the work).
        .target(
            name: "Correlation",
            dependencies: [
                "CLibPQ", "Records", "TimeFormat", "Fleet",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The correlation server's HTTP API (Hummingbird): ingest, weather, inventory, SSE, metrics.
        .target(
            name: "ServerHTTP",
            dependencies: [
                "Correlation", "Fleet", "Transport", "PcapFormat", "HTTPListener", "SystemIO", "Observability", "TimeFormat",
                "Indexer",  // search checks a query before fanning it out (docs/search.md)
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The operator console (docs/console.md): plain files compiled into the binary as byte
            // arrays (`PackageResources`), so the server needs no files beside it (the appliance is
            // offline, the .deb ships one binary). Each listed here; basenames must stay distinct.
            resources: [
                .embedInCode("Console/index.html"), .embedInCode("Console/console.css"), .embedInCode("Console/app.js"),
                .embedInCode("Console/api.js"), .embedInCode("Console/dom.js"), .embedInCode("Console/chart.js"),
                .embedInCode("Console/pages/weather.js"), .embedInCode("Console/pages/node.js"), .embedInCode("Console/pages/map.js"),
                .embedInCode("Console/pages/agents.js"), .embedInCode("Console/pages/events.js"),
                .embedInCode("Console/pages/drilldown.js"), .embedInCode("Console/pages/login.js"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VigieServer",
            dependencies: [
                "Correlation", "ServerHTTP", "Transport", "HTTPListener", "SystemIO", "Observability",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Tests mirror the modules: one test target per library (and per executable with code of its
        // own), end-to-end tests across agent and server in EndToEndTests, helpers in VigieTestSupport.
        .testTarget(name: "PcapFormatTests", dependencies: ["PcapFormat", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "PcapKitTests", dependencies: ["PcapKit", "PcapFormat", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "CorrelationTests", dependencies: ["Correlation", "Fleet", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "IndexerTests", dependencies: ["Indexer", "PacketDecoding", "PcapFormat", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "AppProtocolsTests", dependencies: ["AppProtocols", "PacketDecoding", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "AnalyticsTests", dependencies: ["Analytics", "PacketDecoding", "AppProtocols", "PcapFormat", "Records", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "RecordsTests", dependencies: ["Records", "TimeFormat", "VigieTestSupport"], swiftSettings: strict),
        // Helpers shared by the test targets: Support (package and corpus paths, temporary directories,
        // commands, the built executables), HTTPFixture (a real vigie-server), the mock Kafka broker,
        // PostgreSQL, packets, ports, record lines; Scripts/ holds the Python and shell helpers the tests start.
        .target(name: "VigieTestSupport", dependencies: ["PacketDecoding", "Records"], path: "Tests/TestSupport", exclude: ["Scripts"], swiftSettings: strict),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Records", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "PacketDecodingTests", dependencies: ["PacketDecoding", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "AgentTests",
            dependencies: ["Agent", "PcapFormat", "PcapKit", "Indexer", "VigieAgent", "SystemIO", "Fleet", "VigieTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AgentHTTPTests",
            dependencies: ["AgentHTTP", "Agent", "HTTPListener", "VigieAgent", "Observability", "Records", "Transport", "PcapKit", "VigieTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServerHTTPTests",
            dependencies: ["ServerHTTP", "Correlation", "VigieServer", "Indexer", "VigieTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "VigieServerTests", dependencies: ["VigieServer", "VigieTestSupport"], swiftSettings: strict),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability", "VigieTestSupport"], swiftSettings: strict),
        // Whole paths across the agent and the server (Kafka, HTTP export, drill-down, appliance first boot).
        .testTarget(name: "EndToEndTests", dependencies: ["VigieAgent", "VigieServer", "VigieTestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
