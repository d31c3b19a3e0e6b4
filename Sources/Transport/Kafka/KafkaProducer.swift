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
        init(logger: Logger) { self.logger = logger }
        var delivered: [Report] = []
        var fatalError: String?
        var lastError: String?
    }

    private let handle: OpaquePointer
    let reports: Reports

    /// Creates a producer with `properties` (librdkafka names, e.g. `bootstrap.servers`).
    init(properties: [String: String], logger: Logger) throws(ExportError) {
        reports = Reports(logger: logger)
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
    }

    deinit { rd_kafka_destroy(handle) }

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

    /// Serves callbacks (delivery reports, errors) for up to `timeoutMs`.
    func poll(timeoutMs: Int32) { rd_kafka_poll(handle, timeoutMs) }

    /// Waits up to `timeoutMs` for all queued messages to be delivered (serving callbacks).
    func flush(timeoutMs: Int32) { _ = rd_kafka_flush(handle, timeoutMs) }

    /// Messages queued or in flight.
    var outstanding: Int { Int(rd_kafka_outq_len(handle)) }

    /// The librdkafka version string.
    static var libraryVersion: String { String(cString: rd_kafka_version_str()) }
}
