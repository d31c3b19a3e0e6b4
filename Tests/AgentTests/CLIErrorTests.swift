import Foundation
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// Bad input gets a clear error naming the file or option and a non-zero exit, never a crash.
@Suite("vigie-agent errors")
struct CLIErrorTests {
    let agent = Support.agentBinary

    func agentRun(_ args: [String]) throws -> Support.Run { try Support.run([agent] + args) }

    @Test("bad options and config name the option")
    func badOptions() throws {
        let dir = Support.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = dir + "/bad.yaml"
        let cases: [([String], String, String)] = [
            (["ingest", "--store", dir, "--quota", "lots", "x.pcap"], "--quota", ""),
            (["ingest", "--store", dir, "--retention", "spiral", "x.pcap"], "--retention", ""),
            (["ingest", "--store", dir, "--segment-size", "1MiB", "--quota", "1MiB", "x.pcap"], "storage.quota", ""),
            (["ingest", "--store", dir, "--prefilter", "tcp port eighty", "x.pcap"], "prefilter", ""),
            (["ingest", "--config", cfg, "--store", dir, "x.pcap"], "storage.segment_sise", "storage:\n  segment_sise: 1MiB\n"),
            (["ingest", "--config", cfg, "--store", dir, "x.pcap"], "storage.quota", "storage:\n  quota: [1, 2]\n"),
            (["ingest", "--config", cfg, "--store", dir, "x.pcap"], "not valid YAML", "storage: {quota: \n"),
            (["ingest", "--config", dir + "/absent.yaml", "--store", dir, "x.pcap"], "absent.yaml", ""),
            (["capture", "--store", dir, "--interface", "vigie-no-such0"], "vigie-no-such0", ""),
        ]
        for (args, mention, yaml) in cases {
            if !yaml.isEmpty { try yaml.write(toFile: cfg, atomically: true, encoding: .utf8) }
            let r = try agentRun(args)
            #expect(r.status != 0 && r.status < 128, "\(args) exited \(r.status)")
            #expect(r.stderr.contains(mention), "\(args): stderr does not name \(mention): \(r.stderr)")
        }
    }

    @Test("corrupt and missing capture files: error naming the file, readable prefix kept", .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func corruptFiles() throws {
        let dir = Support.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A copy of a good file cut in the middle of a record, a bogus magic, an absent file.
        let good = try Data(contentsOf: URL(fileURLWithPath: Support.corpusPath("zeek_http_methods.pcap")))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.pcap"))
        try Data("this is not a capture file at all".utf8).write(to: URL(fileURLWithPath: dir + "/junk.pcap"))
        let store = dir + "/store"
        let r = try agentRun(["ingest", "--store", store, "--json", dir + "/cut.pcap", dir + "/junk.pcap", dir + "/absent.pcap",
                              Support.corpusPath("zeek_tcp_syn.pcap")])
        #expect(r.status == 2)
        for name in ["cut.pcap", "junk.pcap", "absent.pcap"] { #expect(r.stderr.contains(name), "no error for \(name)") }
        // tshark reads the same prefix of the cut file that we stored, plus the good file after it.
        let expected = try Support.tsharkFingerprint([dir + "/cut.pcap", Support.corpusPath("zeek_tcp_syn.pcap")])
        let segments = try Support.segmentPaths(store)
        #expect(try Support.tsharkFingerprint(segments) == expected)
        #expect(!expected.isEmpty)
    }

    @Test("a read-only store is refused with a clear error", .enabled(if: Support.isRoot, "needs root to mount a read-only tmpfs"),
          .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func readOnlyStore() throws {
        let dir = Support.temporaryDirectory("ro")
        defer { _ = try? Support.run(["umount", dir]); try? FileManager.default.removeItem(atPath: dir) }
        try #require(try Support.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir]).status == 0)
        let r = try agentRun(["ingest", "--store", dir + "/store", Support.corpusPath("zeek_tcp_syn.pcap")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("read-only") && r.stderr.contains(dir))
    }

    @Test("a full disk: ring frees the oldest and goes on, linear stops cleanly",
          .enabled(if: Support.isRoot && Support.hasCorpus, "needs root (tmpfs) and the corpus"),
          arguments: ["ring", "linear"])
    func fullDisk(mode: String) throws {
        let dir = Support.temporaryDirectory("full")
        defer { _ = try? Support.run(["umount", dir]); try? FileManager.default.removeItem(atPath: dir) }
        try #require(try Support.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]).status == 0)
        let input = Support.corpusPath("pcpp_example.pcap")  // 3.8 MB into a 2 MB disk with a 1 GiB quota
        let r = try agentRun(["ingest", "--store", dir + "/s", "--retention", mode, "--segment-size", "256KiB", "--json", input])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(r.stderr.contains("disk full"))
        let segments = try Support.segmentPaths(dir + "/s")
        for s in segments {
            let c = try Support.run(["capinfos", s])
            #expect(c.status == 0, "segment \(s) unreadable: \(c.stderr)")
        }
        if mode == "ring" {
            // Went on to the end: the newest packet is stored.
            let last = try Support.tsharkFingerprint([input]).last
            #expect(try Support.tsharkFingerprint(segments).last == last)
            #expect((summary["storageState"] as? String) == "storing")
        } else {
            #expect((summary["storageState"] as? String) == "disk-full")
            #expect((summary["notStored"] as? Int ?? 0) > 0)
            let stored = try Support.tsharkFingerprint(segments)
            #expect(stored == Array(try Support.tsharkFingerprint([input]).prefix(stored.count)))
        }
    }

    @Test("the prefilter stores exactly what tcpdump's filter selects", .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func prefilterMatchesTcpdump() throws {
        let dir = Support.temporaryDirectory("pf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = Support.corpusPath("pcpp_many-protocols.pcap")
        let filter = "tcp port 80 or udp"
        let r = try agentRun(["ingest", "--store", dir + "/s", "--prefilter", filter, "--json", input])
        #expect(r.status == 0)
        let t = try Support.run(["tcpdump", "-r", input, "-w", dir + "/ref.pcap", filter])
        #expect(t.status == 0)
        let expected = try Support.tsharkFingerprint([dir + "/ref.pcap"])
        #expect(try Support.tsharkFingerprint(Support.segmentPaths(dir + "/s")) == expected)
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["stored"] as? Int == expected.count)
        #expect(summary["filteredOut"] as? Int == (summary["packets"] as! Int) - expected.count)
    }
}

/// `segments` and `status` read a store written by `ingest`.
@Suite("vigie-agent segments and status")
struct CatalogCommandTests {
    @Test("segments filters by time and agrees with the files; status shows the counters", .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func segmentsAndStatus() throws {
        let dir = Support.temporaryDirectory("seg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = Support.corpusPath("zeek_echo-connections.pcap")  // 6.5 s of traffic on 2021-07-25
        let ing = try Support.run([Support.agentBinary, "ingest", "--store", dir, "--segment-duration", "1s", "--no-progress", input])
        #expect(ing.status == 0)
        let all = try Support.run([Support.agentBinary, "segments", "--store", dir, "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as! [[String: Any]]
        #expect(list.count >= 6)
        #expect(list.reduce(0) { $0 + ($1["packets"] as! Int) } == 82582)
        for s in list {  // capinfos agrees with each entry's count and byte size
            let path = dir + "/segments/" + (s["file"] as! String)
            #expect(FileSystem.fileSize(path) == UInt64(s["bytes"] as! Int))
            let c = try Support.run(["capinfos", "-c", "-M", path])
            #expect(c.stdout.contains("Number of packets:   \(s["packets"] as! Int)"))
        }
        // A window in the middle selects only the segments overlapping it.
        let from = "2021-07-25T14:57:03Z", to = "2021-07-25T14:57:04Z"
        let win = try Support.run([Support.agentBinary, "segments", "--store", dir, "--json", "--from", from, "--to", to])
        let some = try JSONSerialization.jsonObject(with: Data(win.stdout.utf8)) as! [[String: Any]]
        let lo = TimeParser.parse(from)!, hi = TimeParser.parse(to)!
        let expected = list.filter { ($0["lastNanos"] as! Int64) >= lo && ($0["firstNanos"] as! Int64) <= hi }
        #expect(some.map { $0["id"] as! Int } == expected.map { $0["id"] as! Int })
        #expect(some.count < list.count && !some.isEmpty)
        let bad = try Support.run([Support.agentBinary, "segments", "--store", dir, "--from", to, "--to", from])
        #expect(bad.status == 1 && bad.stderr.contains("--from"))
        let st = try Support.run([Support.agentBinary, "status", "--store", dir])
        #expect(st.status == 0)
        #expect(st.stdout.contains("packets stored:      82582"))
        #expect(st.stdout.contains("stopped"))
        let none = try Support.run([Support.agentBinary, "status", "--store", dir + "/nothing"])
        #expect(none.status == 1 && none.stderr.contains("not a Vigie store"))
    }
}
