import Foundation
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// Live capture on a veth pair between two namespaces, fed by tcpreplay.
@Suite("Live capture", .serialized, .enabled(if: NetnsPair.available, "needs root, iproute2 and tcpreplay (network namespaces)"))
struct LiveCaptureTests {
    @Test("what tcpreplay sends is what the agent stores (count and bytes)", .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func storesWhatWasSent() throws {
        let pair = try NetnsPair()
        defer { pair.tearDown() }
        let store = Support.temporaryDirectory("live")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let agent = try pair.startAgent(store: store, extra: ["--segment-size", "1MiB"])
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        #expect(NetnsPair.waitForStatus(store), "agent did not start: \((try? String(contentsOfFile: store + ".log", encoding: .utf8)) ?? "")")
        let input = Support.corpusPath("zeek_echo-connections.pcap")
        let sent = try pair.replay(input, options: ["--pps", "40000"])
        usleep(1_500_000)
        agent.terminate()  // SIGTERM: the segment is closed cleanly
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)
        let segments = try Support.segmentPaths(store)
        let catalog = try SegmentCatalog(readingFrom: StoreLayout(root: store))
        #expect(catalog.segments().allSatisfy { $0.state == .complete })
        // Same packets, same order, same bytes (the MD5 and lengths of tshark's view; times differ).
        let stripTime = { (l: String) in l.split(separator: "\t").dropFirst().joined(separator: "\t") }
        let stored = try Support.tsharkFingerprint(segments).map(stripTime)
        let expected = try Support.tsharkFingerprint([input]).map(stripTime)
        #expect(sent == expected.count)
        #expect(stored.count == sent, "stored \(stored.count) of \(sent) sent")
        #expect(stored == expected)
        let status = try #require(try StatusReport.read(layout: StoreLayout(root: store)))
        #expect(status.running == false)
        #expect(status.storage.packetsStored == UInt64(sent))
        #expect(status.capture?.droppedByKernel == 0)
    }

    @Test("kill -9 mid-capture: restart recovers the partial segment, earlier segments intact", .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func killNineRecovery() throws {
        let pair = try NetnsPair()
        defer { pair.tearDown() }
        let store = Support.temporaryDirectory("kill9")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let agent = try pair.startAgent(store: store, extra: ["--segment-size", "2MiB", "--flush-interval", "0.2s"])
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        #expect(NetnsPair.waitForStatus(store), "agent did not start: \((try? String(contentsOfFile: store + ".log", encoding: .utf8)) ?? "")")
        // Replay in the background and kill the agent while packets are still arriving.
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        replay.arguments = ["ip", "netns", "exec", pair.nsA, "tcpreplay", "-i", pair.sender, "--pps", "20000",
                            Support.corpusPath("zeek_echo-connections.pcap")]
        replay.standardOutput = FileHandle.nullDevice
        replay.standardError = FileHandle.nullDevice
        try replay.run()
        // Kill once a segment is finished and the partial one holds flushed records.
        let layout = StoreLayout(root: store)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let names = FileSystem.list(layout.segmentsDirectory)
            let partialHasData = names.contains { $0.hasSuffix(".partial") && (FileSystem.fileSize(layout.segmentsDirectory + "/" + $0) ?? 0) > 4096 }
            if partialHasData && names.contains(where: { $0.hasSuffix(".pcap") }) { break }
            usleep(20_000)
        }
        kill(agent.processIdentifier, SIGKILL)
        agent.waitUntilExit()
        replay.waitUntilExit()
        let before = try SegmentCatalog(readingFrom: layout)
        let finished = before.segments().filter { $0.state == .complete }
        #expect(!finished.isEmpty, "no segment finished before the kill")
        #expect(before.segments().contains { $0.state == .writing }, "no partial segment to recover")
        let finishedBytes = try finished.map { try Data(contentsOf: URL(fileURLWithPath: layout.segmentPath($0.id))) }
        // Restart: the new process recovers before capturing.
        let again = try pair.startAgent(store: store)
        usleep(1_500_000)
        again.terminate()
        again.waitUntilExit()
        let after = try SegmentCatalog(readingFrom: layout)
        let recovered = after.segments().filter { $0.state == .recovered }
        #expect(recovered.count == 1)
        for r in recovered {
            let t = try Support.run(["tshark", "-r", layout.segmentPath(r.id), "-T", "fields", "-e", "frame.number"])
            #expect(t.status == 0 && !t.stderr.contains("cut short") && !t.stderr.contains("damaged"), "\(t.stderr)")
            #expect(t.stdout.split(separator: "\n").count == Int(r.packets))
            #expect(r.packets > 0)
        }
        for (s, bytes) in zip(finished, finishedBytes) {
            #expect(try Data(contentsOf: URL(fileURLWithPath: layout.segmentPath(s.id))) == bytes, "segment \(s.id) changed")
            #expect(after.entries[s.id]?.state == .complete)
        }
        #expect(FileSystem.list(layout.segmentsDirectory).allSatisfy { !$0.hasSuffix(".partial") || $0.contains(String(after.highestID)) })
    }
}
