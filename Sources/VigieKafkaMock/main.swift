// vigie-kafka-mock: runs librdkafka's mock Kafka cluster in its own process for tests and demos.
//
//   vigie-kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]... [--bootstrap-file FILE]
//
// Prints the bootstrap address (`127.0.0.1:PORT[,...]`) on its first stdout line (and into FILE),
// then serves real Kafka clients (the agent, the server, kcat) until SIGTERM/SIGINT.
// SIGUSR1 takes every broker down (an outage: connections dropped and refused), SIGUSR2 brings
// them back with their data.
import Transport
#if canImport(Glibc)
import Glibc
#endif

func say(_ message: String) {
    let line = "vigie-kafka-mock: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

func fail(_ message: String) -> Never {
    say(message)
    exit(2)
}

var brokers = 1
var topics: [(String, Int)] = []
var bootstrapFile: String?
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--brokers":
        guard let v = args.popFirst(), let n = Int(v), (1...16).contains(n) else { fail("--brokers needs a number from 1 to 16") }
        brokers = n
    case "--topic":
        guard let v = args.popFirst(), !v.isEmpty else { fail("--topic needs NAME[:PARTITIONS]") }
        let parts = v.split(separator: ":", maxSplits: 1).map(String.init)
        guard let partitions = parts.count == 2 ? Int(parts[1]) : 1, partitions > 0 else { fail("bad partition count in \(v)") }
        topics.append((parts[0], partitions))
    case "--bootstrap-file":
        guard let v = args.popFirst() else { fail("--bootstrap-file needs a path") }
        bootstrapFile = v
    case "-h", "--help":
        print("usage: vigie-kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]... [--bootstrap-file FILE]")
        exit(0)
    default:
        fail("unknown argument \(arg)")
    }
}

// Block the signals before librdkafka starts its threads, so only sigwait below receives them.
var signals = sigset_t()
sigemptyset(&signals)
for s in [SIGTERM, SIGINT, SIGUSR1, SIGUSR2] { sigaddset(&signals, s) }
pthread_sigmask(SIG_BLOCK, &signals, nil)

let cluster: KafkaMockCluster
do {
    cluster = try KafkaMockCluster(brokers: brokers)
    for (name, partitions) in topics { try cluster.createTopic(name, partitions: partitions) }
} catch {
    fail("\(error)")
}
let bootstrap = cluster.bootstrapServers
if let bootstrapFile {
    guard let f = fopen(bootstrapFile + ".tmp", "w") else { fail("cannot write \(bootstrapFile)") }
    fputs(bootstrap + "\n", f)
    fclose(f)
    rename(bootstrapFile + ".tmp", bootstrapFile)
}
let line = bootstrap + "\n"
_ = line.withCString { write(1, $0, strlen($0)) }

while true {
    var received: Int32 = 0
    guard sigwait(&signals, &received) == 0 else { continue }
    switch received {
    case SIGUSR1:
        cluster.setBrokersUp(false)
        say("brokers down")
    case SIGUSR2:
        cluster.setBrokersUp(true)
        say("brokers up")
    default:
        exit(0)
    }
}
