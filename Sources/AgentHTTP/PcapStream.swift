import Foundation
import Hummingbird
import Indexer
import PcapFormat
import Synchronization

/// Runs a query on its own thread (the engine does blocking file I/O) and hands the pcap bytes to
/// the async response writer in 256 KiB chunks, one at a time: the engine waits until the client
/// took the previous chunk, so a slow client slows the query instead of growing memory, and a client
/// that goes away stops it.
final class PcapStream: Sendable {
    private let chunks: AsyncStream<ByteBuffer>
    private let continuation: AsyncStream<ByteBuffer>.Continuation
    private let taken = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)

    init() {
        (chunks, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .unbounded)
    }

    /// Starts the engine thread; returns at once.
    func start(engine: QueryEngine, request: QueryRequest, linkType: UInt32, nanosecond: Bool,
               onDone: @escaping @Sendable (QueryStats?, (any Error)?) -> Void) {
        let thread = Thread { [self] in
            var buffer = [UInt8]()
            buffer.reserveCapacity(1 << 18)
            var headerWritten = false
            do {
                let stats = try engine.run(request) { packet in
                    if !headerWritten {
                        buffer += PcapStream.globalHeader(linkType: linkType, nanosecond: nanosecond)
                        headerWritten = true
                    }
                    PcapStream.appendRecord(packet, nanosecond: nanosecond, to: &buffer)
                    if buffer.count >= 1 << 18 { return self.hand(&buffer) }
                    return !self.cancelled.load(ordering: .relaxed)
                }
                if !headerWritten { buffer += PcapStream.globalHeader(linkType: linkType, nanosecond: nanosecond) }
                if !buffer.isEmpty { _ = hand(&buffer) }
                continuation.finish()
                onDone(stats, nil)
            } catch {
                continuation.finish()
                onDone(nil, error)
            }
        }
        thread.name = "vigie-query"
        thread.start()
    }

    /// Yields one chunk and waits until the writer took it. False when the client went away.
    private func hand(_ buffer: inout [UInt8]) -> Bool {
        continuation.yield(ByteBuffer(bytes: buffer))
        buffer.removeAll(keepingCapacity: true)
        taken.wait()
        return !cancelled.load(ordering: .relaxed)
    }

    /// Writes the chunks to the response; on a write error (client gone) stops the engine.
    func write(to writer: inout any ResponseBodyWriter) async throws {
        do {
            for await chunk in chunks {
                try await writer.write(chunk)
                taken.signal()
            }
            try await writer.finish(nil)
        } catch {
            cancelled.store(true, ordering: .relaxed)
            taken.signal()
            for await _ in chunks { taken.signal() }  // let the engine thread finish its last hand-off
            throw error
        }
    }

    static func globalHeader(linkType: UInt32, nanosecond: Bool) -> [UInt8] {
        PcapFileHeader(resolution: nanosecond ? .nano : .micro, snaplen: 262_144, linkType: linkType).encoded()
    }

    /// Appends a record in the output's resolution (a microsecond segment's fraction is scaled when
    /// the output is nanosecond because another segment in range is).
    static func appendRecord(_ p: MatchedPacket, nanosecond: Bool, to buffer: inout [UInt8]) {
        let header = PcapRecordHeader(seconds: p.header.seconds,
                                      fraction: nanosecond && !p.nanosecond ? p.header.fraction &* 1000 : p.header.fraction,
                                      capturedLength: UInt32(p.data.count), originalLength: p.header.originalLength)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: PcapRecordHeader.size))
        buffer.withUnsafeMutableBytes { header.store(to: $0.baseAddress! + start) }
        buffer += p.data
    }
}
