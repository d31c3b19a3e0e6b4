import Foundation
import Hummingbird
import Indexer
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
        var h = [UInt8]()
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { h += $0 } }
        put32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        put32(2 | 4 << 16)
        put32(0); put32(0)
        put32(262_144)
        put32(linkType)
        return h
    }

    /// Appends a record in the output's resolution (a microsecond segment's fraction is scaled when
    /// the output is nanosecond because another segment in range is).
    static func appendRecord(_ p: MatchedPacket, nanosecond: Bool, to buffer: inout [UInt8]) {
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { buffer += $0 } }
        put32(p.header.seconds)
        put32(nanosecond && !p.nanosecond ? p.header.fraction &* 1000 : p.header.fraction)
        put32(UInt32(p.data.count))
        put32(p.header.originalLength)
        buffer += p.data
    }
}
