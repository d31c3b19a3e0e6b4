import CRdKafka
import Logging

/// Owns one librdkafka producer handle (`rd_kafka_t`). Not thread-safe: one sink thread produces
/// and polls; delivery reports arrive on that thread, inside ``poll(timeoutMs:)``.
final class KafkaProducer {
    /// A delivery report: the spool sequence number the message carried and its outcome.
    struct Report {
        var seq: UInt64
        /// nil on success.
        var error: String?
        var isFatal: Bool
    }

    /// Collects reports from librdkafka's callbacks (reached through the handle's opaque pointer).
    final class Reports {
        /// Set once at creation; librdkafka's log callback reads it from its own threads.
        let logger: Logger
        var delivered: [Report] = []
        var fatalError: String?
        var lastError: String?
        /// Whether message payloads live in ``PayloadBlock``s (``produce(topic:key:payload:headers:seq:)``
        /// with a topic handle) rather than in librdkafka's own copies.
        let payloadBlocks: Bool
        init(logger: Logger, payloadBlocks: Bool) {
            self.logger = logger
            self.payloadBlocks = payloadBlocks
        }
    }

    /// Copies of payloads that librdkafka points into, without copying them itself, until their
    /// delivery reports: one allocation per 256 KiB of records instead of one a record. (Its own
    /// copy, one allocation of about 1 KiB a message, kept glibc's allocator busy merging freed
    /// chunks: a quarter of the sink thread's time.) Blocks are aligned on ``size`` and start
    /// with a pointer to their object, and every payload starts in a block's first ``size`` bytes,
    /// so a delivery report finds the block from the payload address alone (the cache line it
    /// reads is shared by the block's messages; a per-message slot header was a cache miss each).
    /// A block lives until its last message is reported: ``blockBytes`` is what the sink bounds.
    final class PayloadBlock {
        static let size = 256 << 10
        static let header = 16
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var used = header
        /// Messages in this block whose delivery report has not been served yet.
        var outstanding = 0

        init(capacity: Int) {
            base = .allocate(byteCount: capacity, alignment: Self.size)
            self.capacity = capacity
            base.storeBytes(of: Unmanaged.passUnretained(self).toOpaque(), as: UnsafeMutableRawPointer.self)
        }

        /// The block holding the payload at `address` (one of ours, by construction).
        static func containing(_ address: UnsafeRawPointer) -> PayloadBlock? {
            guard let base = UnsafeRawPointer(bitPattern: UInt(bitPattern: address) & ~UInt(size - 1)) else { return nil }
            return Unmanaged<PayloadBlock>.fromOpaque(base.load(as: UnsafeRawPointer.self)).takeUnretainedValue()
        }

        deinit { base.deallocate() }
    }

    private let handle: OpaquePointer
    let reports: Reports
    /// Live payload blocks, the one being filled last. Freed once all their messages are reported,
    /// or with the producer (after `rd_kafka_destroy`, when librdkafka no longer points into them).
    private var blocks: [PayloadBlock] = []
    /// Reported blocks kept for reuse: allocating and freeing a megabyte makes glibc consolidate
    /// its free lists (`malloc_consolidate`), which cost more than the copies themselves.
    private var spareBlocks: [PayloadBlock] = []
    /// Bytes of the live payload blocks.
    private(set) var blockBytes = 0
    /// Topic handles by name: producing by name makes librdkafka look the topic up each message.
    private var topicHandles: [String: OpaquePointer] = [:]
    /// The argument list of `rd_kafka_produceva` (the variadic `producev` cannot be called from
    /// Swift), allocated once: topic handle, value, key, flags, headers, opaque.
    private let arguments: UnsafeMutablePointer<rd_kafka_vu_t>

    /// Creates a producer with `properties` (librdkafka names, e.g. `bootstrap.servers`).
    /// `payloadBlocks`: the producer sends with ``produce(topic:key:payload:headers:seq:)`` and a
    /// topic handle (payloads in blocks); otherwise with the copying variant.
    init(properties: [String: String], logger: Logger, payloadBlocks: Bool = false) throws(ExportError) {
        reports = Reports(logger: logger, payloadBlocks: payloadBlocks)
        guard let conf = rd_kafka_conf_new() else { throw ExportError(.kafka, context: "", "cannot allocate configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw ExportError(.badConfig, context: "kafka.properties.\(name)", String(cString: errstr))
            }
        }
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
            let seq = UInt64(UInt(bitPattern: message.pointee._private)) &- 1
            if reports.payloadBlocks, let payload = message.pointee.payload {
                PayloadBlock.containing(payload)?.outstanding -= 1
            }
            let err = message.pointee.err
            reports.delivered.append(Report(
                seq: seq, error: err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : String(cString: rd_kafka_err2str(err)),
                isFatal: err == RD_KAFKA_RESP_ERR__FATAL))
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let opaque else { return }
            let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
            let text = reason.map { String(cString: $0) } ?? "error \(err)"
            reports.lastError = text
            if err == RD_KAFKA_RESP_ERR__FATAL.rawValue, let rk {
                var buffer = [CChar](repeating: 0, count: 512)
                _ = rd_kafka_fatal_error(rk, &buffer, buffer.count)
                reports.fatalError = String(cString: buffer)
            }
        }
        // librdkafka's own log lines go to our logger (from its threads), not to stderr.
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, line in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let reports = Unmanaged<Reports>.fromOpaque(opaque).takeUnretainedValue()
            let text = line.map { String(cString: $0) } ?? ""
            let meta: Logger.Metadata = ["facility": "\(facility.map { String(cString: $0) } ?? "")"]
            reports.logger.log(level: level <= 3 ? .warning : .debug, "librdkafka: \(text)", metadata: meta)
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(reports).toOpaque())
        // On success rd_kafka_new takes ownership of conf; on failure it is still ours.
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw ExportError(.badConfig, context: "kafka", String(cString: errstr))
        }
        handle = rk
        arguments = .allocate(capacity: 6)
        arguments.initialize(repeating: rd_kafka_vu_t(), count: 6)
        for (i, type) in [RD_KAFKA_VTYPE_RKT, RD_KAFKA_VTYPE_VALUE, RD_KAFKA_VTYPE_KEY, RD_KAFKA_VTYPE_MSGFLAGS,
                          RD_KAFKA_VTYPE_HEADERS, RD_KAFKA_VTYPE_OPAQUE].enumerated() {
            arguments[i].vtype = type
        }
        arguments[3].u.i = 0  // no RD_KAFKA_MSG_F_COPY: the payload stays in its block until reported
    }

    deinit {
        for topic in topicHandles.values { rd_kafka_topic_destroy(topic) }
        rd_kafka_destroy(handle)
        arguments.deallocate()
        // `blocks` goes after this: librdkafka no longer points into them.
    }

    /// The handle of `name` (created on first use), nil if librdkafka refuses it.
    func topic(named name: String) -> OpaquePointer? {
        if let known = topicHandles[name] { return known }
        guard let created = rd_kafka_topic_new(handle, name, nil) else { return nil }
        topicHandles[name] = created
        return created
    }

    /// Outcome of ``produce(topic:key:payload:headers:seq:)``.
    enum ProduceResult {
        case queued
        /// librdkafka's local queue is full: poll and try again.
        case queueFull
        case failed(String)
    }

    /// Queues one message; `seq` comes back in its delivery report.
    func produce(topic: String, key: [UInt8], payload: [UInt8], headers: [(String, String)], seq: UInt64) -> ProduceResult {
        let list = rd_kafka_headers_new(headers.count)
        for (name, value) in headers {
            rd_kafka_header_add(list, name, name.utf8.count, value, value.utf8.count)
        }
        let opaque = UnsafeMutableRawPointer(bitPattern: UInt(seq &+ 1))
        let err = payload.withUnsafeBytes { p in
            key.withUnsafeBytes { k in
                vigie_kafka_produce(handle, topic, p.baseAddress, p.count, k.baseAddress, k.count, list, opaque)
            }
        }
        if err == RD_KAFKA_RESP_ERR_NO_ERROR { return .queued }
        rd_kafka_headers_destroy(list)  // not taken over on failure
        if err == RD_KAFKA_RESP_ERR__QUEUE_FULL { return .queueFull }
        return .failed(String(cString: rd_kafka_err2str(err)))
    }

    /// A header list built once and copied into each message (librdkafka takes ownership of a
    /// message's headers): one C copy instead of converting every name and value per message.
    final class HeaderList {
        fileprivate let list: OpaquePointer

        init(_ headers: [(String, String)]) {
            list = rd_kafka_headers_new(headers.count)
            for (name, value) in headers {
                rd_kafka_header_add(list, name, name.utf8.count, value, value.utf8.count)
            }
        }

        deinit { rd_kafka_headers_destroy(list) }
    }

    /// Queues one message whose payload is copied into a block (not by librdkafka) and whose
    /// headers are a copy of `headers`; `seq` comes back in its delivery report. Needs a producer
    /// made with `payloadBlocks`; `topic` from ``topic(named:)``.
    func produce(topic: OpaquePointer?, key: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                 headers: HeaderList, seq: UInt64) -> ProduceResult {
        guard reports.payloadBlocks, let topic else { return .failed("no topic handle") }
        // At least 8 bytes, so that even an empty payload starts inside its block.
        let slotSize = max(8, (payload.count + 7) & ~7)
        let block: PayloadBlock
        if let current = blocks.last, current.capacity - current.used >= slotSize {
            block = current
        } else {
            // A payload larger than a block gets one of its own, starting right after the header.
            block = PayloadBlock.header + slotSize <= PayloadBlock.size
                ? spareBlocks.popLast() ?? PayloadBlock(capacity: PayloadBlock.size)
                : PayloadBlock(capacity: PayloadBlock.header + slotSize)
            blocks.append(block)
            blockBytes += block.capacity
        }
        let body = block.base + block.used
        if let source = payload.baseAddress { body.copyMemory(from: source, byteCount: payload.count) }
        let list = rd_kafka_headers_copy(headers.list)
        arguments[0].u.rkt = topic
        arguments[1].u.mem.ptr = body
        arguments[1].u.mem.size = payload.count
        arguments[2].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
        arguments[2].u.mem.size = key.count
        arguments[4].u.headers = list
        arguments[5].u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(seq &+ 1))
        if let error = rd_kafka_produceva(handle, arguments, 6) {
            let code = rd_kafka_error_code(error)
            let text = String(cString: rd_kafka_error_string(error))
            rd_kafka_error_destroy(error)
            rd_kafka_headers_destroy(list)  // not taken over on failure; the slot is reused
            return code == RD_KAFKA_RESP_ERR__QUEUE_FULL ? .queueFull : .failed(text)
        }
        block.used += slotSize
        block.outstanding += 1
        return .queued
    }

    /// Serves callbacks (delivery reports, errors) for up to `timeoutMs`.
    func poll(timeoutMs: Int32) {
        rd_kafka_poll(handle, timeoutMs)
        releaseReportedBlocks()
    }

    /// Waits up to `timeoutMs` for all queued messages to be delivered (serving callbacks).
    func flush(timeoutMs: Int32) {
        _ = rd_kafka_flush(handle, timeoutMs)
        releaseReportedBlocks()
    }

    /// Releases the blocks, other than the one being filled, whose messages have all been
    /// reported: a few are kept for reuse, the others freed.
    private func releaseReportedBlocks() {
        guard blocks.count > 1 else { return }
        let filling = blocks[blocks.count - 1]
        var kept: [PayloadBlock] = []
        for block in blocks {
            if block.outstanding > 0 || block === filling {
                kept.append(block)
                continue
            }
            blockBytes -= block.capacity
            if block.capacity == PayloadBlock.size && spareBlocks.count < 8 {
                block.used = PayloadBlock.header
                spareBlocks.append(block)
            }
        }
        if kept.count < blocks.count { blocks = kept }
    }

    /// Messages queued or in flight.
    var outstanding: Int { Int(rd_kafka_outq_len(handle)) }

    /// The librdkafka version string.
    static var libraryVersion: String { String(cString: rd_kafka_version_str()) }
}
