import Foundation
import Indexer
import PcapKit
import SystemIO
import TimeFormat

/// How a planned recording repeats (docs/recordings.md).
public enum RecordingRepeat: Sendable, Hashable {
    case none
    case daily
    case weekly
    /// Every `nanos` nanoseconds (`every 6h`).
    case every(nanos: Int64)

    /// The period in nanoseconds; nil when the recording happens once.
    public var periodNanos: Int64? {
        switch self {
        case .none: return nil
        case .daily: return 86_400_000_000_000
        case .weekly: return 7 * 86_400_000_000_000
        case .every(let n): return n
        }
    }

    /// The text form: `none`, `daily`, `weekly`, `every DURATION` (seconds with a unit).
    public var text: String {
        switch self {
        case .none: return "none"
        case .daily: return "daily"
        case .weekly: return "weekly"
        case .every(let n):
            return n % 1_000_000_000 == 0 ? "every \(n / 1_000_000_000)s" : "every \(Double(n) / 1e9)s"
        }
    }

    /// Parses the text form; nil when it is not one (or the duration is zero or too long).
    public static func parse(_ text: String) -> RecordingRepeat? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "", "none": return RecordingRepeat.none
        case "daily": return .daily
        case "weekly": return .weekly
        default:
            guard t.hasPrefix("every"), let s = Units.seconds(String(t.dropFirst(5))), s >= 0.001 else { return nil }
            return .every(nanos: Int64((s * 1e9).rounded()))
        }
    }
}

/// Where a recording is in its life. `scheduled` and `recording` are live (the capture feeds them);
/// `done` (a one-off recording whose end has passed) and `cancelled` are final.
public enum RecordingState: String, Sendable, Hashable, Codable {
    case scheduled, recording, done, cancelled

    public var isLive: Bool { self == .scheduled || self == .recording }
}

/// A planned recording, validated: the packets whose time falls in `[start, end)` of one of its
/// occurrences and that match `filter`, cut at `snaplen`, stored in `STORE/recordings/ID/` under
/// their own quota and retention.
public struct RecordingDefinition: Sendable, Hashable {
    /// A slug: `[a-z0-9][a-z0-9_-]{0,63}` (it names a directory).
    public var id: String
    /// First occurrence, nanoseconds since the epoch (packet time).
    public var startNanos: Int64
    public var endNanos: Int64
    public var repeatRule: RecordingRepeat = .none
    /// BPF expression (nil: every packet).
    public var filter: String?
    /// Bytes kept per packet (nil: the whole packet).
    public var snaplen: UInt32?
    /// Index fields beyond the store's own `index.fields`.
    public var indexFields: [String] = []
    public var quotaBytes: UInt64
    public var retention: RetentionMode = .linear
    public var state: RecordingState = .scheduled
    /// Set with `cancelled` by `DELETE ...?purge=true`: the data is to be deleted by whoever holds
    /// (or can take) the recording's store lock.
    public var purge: Bool = false

    public init(id: String, startNanos: Int64, endNanos: Int64, quotaBytes: UInt64) {
        self.id = id
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.quotaBytes = quotaBytes
    }

    /// Length of one occurrence.
    public var durationNanos: Int64 { endNanos &- startNanos }

    /// Whether packet time `t` falls in an occurrence. Total: no trapping arithmetic.
    @inline(__always)
    public func covers(_ t: Int64) -> Bool {
        guard t >= startNanos else { return false }
        guard let period = repeatRule.periodNanos, period > 0 else { return t < endNanos }
        let (offset, overflow) = t.subtractingReportingOverflow(startNanos)
        if overflow { return false }
        return offset % period < durationNanos
    }

    /// Whether no packet at or after `t` can be recorded any more (a one-off recording past its end).
    public func isOver(at t: Int64) -> Bool { repeatRule.periodNanos == nil && t >= endNanos }
}

/// A recording definition as typed by a user (YAML `recordings:` item or API JSON body), before
/// validation: every value is text, so one validator names the bad field for both.
public struct RecordingInput: Sendable, Hashable {
    public var id: String?
    public var start: String?
    public var end: String?
    public var repeatText: String?
    public var filter: String?
    public var snaplen: String?
    public var indexFields: [String] = []
    public var quota: String?
    public var retention: String?

    public init() {}

    /// The keys a definition may have (YAML and JSON).
    public static let keys: Set<String> = ["id", "start", "end", "repeat", "filter", "snaplen", "index_fields", "quota", "retention"]

    /// Validates into a definition; errors name `prefix + key` (e.g. `recordings[1].filter`).
    /// - Parameters:
    ///   - store: the store directory, for the free-space check of `quota` (skipped when nil).
    ///   - now: what `now` and `15m ago` in `start`/`end` are relative to.
    public func validated(prefix: String, store: String?, file: String? = nil, now: Date = Date()) throws(ConfigError) -> RecordingDefinition {
        func fail(_ key: String, _ message: String) -> ConfigError { ConfigError(option: prefix + key, message, file: file) }
        guard let id, RecordingInput.isSlug(id) else {
            throw fail("id", "must be a slug: a lowercase letter or digit, then up to 63 of a-z 0-9 _ -")
        }
        guard let start else { throw fail("start", "is required") }
        guard let end else { throw fail("end", "is required") }
        let s: Int64, e: Int64
        do throws(TimeParser.Failure) { s = try TimeParser.value(start, now: now) } catch { throw fail("start", error.description) }
        do throws(TimeParser.Failure) { e = try TimeParser.value(end, now: now) } catch { throw fail("end", error.description) }
        guard e > s else { throw fail("end", "must be after start") }
        guard let q = quota else { throw fail("quota", "is required (e.g. 1GiB)") }
        guard let quotaBytes = Units.bytes(q), quotaBytes >= 8192 else { throw fail("quota", "'\(q)' is not a size of at least 8KiB") }
        // What the recording already holds counts as available: a restart with a recording that
        // filled part of the disk must not refuse its own definition.
        if let store, let free = RecordingInput.freeBytes(store) {
            let available = free &+ RecordingInput.usedBytes(RecordingBook(store: store).layout(id))
            if quotaBytes > available {
                throw fail("quota", "\(quotaBytes) bytes is more than the \(available) bytes free on the store's file system")
            }
        }
        var d = RecordingDefinition(id: id, startNanos: s, endNanos: e, quotaBytes: quotaBytes)
        if let r = repeatText {
            guard let rule = RecordingRepeat.parse(r) else { throw fail("repeat", "'\(r)' is not none, daily, weekly or 'every DURATION'") }
            if let p = rule.periodNanos, d.durationNanos > p {
                throw fail("repeat", "occurrences would overlap: end - start is longer than the period")
            }
            d.repeatRule = rule
        }
        if let f = filter?.trimmingCharacters(in: .whitespaces), !f.isEmpty {
            // Checked for Ethernet, as the prefilter is; another link type compiles when its first packet comes.
            do throws(PcapError) { _ = try BPFFilter(expression: f, linkType: 1) } catch { throw fail("filter", "\(error)") }
            d.filter = f
        }
        if let sl = snaplen {
            guard let n = UInt32(sl.trimmingCharacters(in: .whitespaces)), n >= 14, n <= 262_144 else {
                throw fail("snaplen", "'\(sl)' must be a number of bytes from 14 to 262144")
            }
            d.snaplen = n
        }
        do throws(IndexConfigError) { _ = try IndexFieldSet(names: indexFields) } catch { throw fail("index_fields", error.description) }
        d.indexFields = indexFields
        if let r = retention {
            guard let mode = RetentionMode(rawValue: r) else { throw fail("retention", "'\(r)' is not ring or linear") }
            d.retention = mode
        }
        return d
    }

    public static func isSlug(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let first = u.first, u.count <= 64 else { return false }
        func ok(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return ok(first) && u.dropFirst().allSatisfy { ok($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Bytes of a recording's segments and indexes already on disk.
    static func usedBytes(_ layout: StoreLayout) -> UInt64 {
        [layout.segmentsDirectory, layout.indexDirectory].reduce(0) { sum, dir in
            FileSystem.list(dir).reduce(sum) { $0 &+ (FileSystem.fileSize(dir + "/" + $1) ?? 0) }
        }
    }

    /// Bytes available to an unprivileged writer on the file system holding `path` (or its nearest
    /// existing parent); nil when statvfs fails.
    static func freeBytes(_ path: String) -> UInt64? { FileSystem.space(path)?.available }
}

extension RecordingDefinition {
    /// The definition's fields as text (the JSON of the API and of `recordings.json`).
    public var input: RecordingInput {
        var i = RecordingInput()
        i.id = id
        i.start = TimeParser.format(startNanos)
        i.end = TimeParser.format(endNanos)
        i.repeatText = repeatRule.text
        i.filter = filter
        i.snaplen = snaplen.map { String($0) }
        i.indexFields = indexFields
        i.quota = String(quotaBytes)
        i.retention = retention.rawValue
        return i
    }
}
