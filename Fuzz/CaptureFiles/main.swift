// libFuzzer target for PcapFormat's capture-file readers: ClassicPcapReader, PcapngReader (both
// reading a file descriptor through ReadBuffer), PcapRecordScanner and PcapFileHeader.parse.
// Built by run.sh together with the module's sources (one module, so no `import PcapFormat`).
//
// Input layout: byte 0 selects a mode (modulo 9); the remaining bytes are the file, written to an
// unlinked scratch file in /dev/shm and read back through the real fd path.
//   0  file as is; format detected from the magic like PcapKit's CaptureFileReader (anything
//      else goes to PcapngReader, which does not check the magic itself, and must be rejected
//      by PcapFileHeader.parse)
//   1-4  classic pcap magic forced: LE micro, LE nano, BE micro, BE nano
//   5-7  pcapng Section Header type forced: byte order as in the file, forced LE, forced BE
//   8  ReadBuffer alone: a short list of ensure/consume operations, then the file
//
// Besides "no crash, no hang, no out-of-bounds read" (ASan; every returned byte is read), every
// packet is checked against an independent walk of the in-memory image: exact bytes, raw
// timestamps, lengths, per-interface format and formatGeneration, error code and offset. A
// violation prints what broke and aborts, so libFuzzer saves the input. run.sh also sets a malloc
// limit: an input of at most 64 KiB must never make a reader allocate more than its buffer needs
// for the bytes really present (a hostile length field alone must not size an allocation).

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let mode = Int(data[0]) % 9
    // An exactly sized heap copy: any read past the file's end by the scanner is an ASan report.
    let file = UnsafeMutableRawBufferPointer.allocate(byteCount: size - 1, alignment: 16)
    defer { file.deallocate() }
    if size > 1 { file.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1)) }
    let image = UnsafeRawBufferPointer(file)

    func force(_ bytes: [UInt8], at offset: Int) {
        for (i, b) in bytes.enumerated() where offset + i < file.count { file[offset + i] = b }
    }
    switch mode {
    case 1: force([0xD4, 0xC3, 0xB2, 0xA1], at: 0)
    case 2: force([0x4D, 0x3C, 0xB2, 0xA1], at: 0)
    case 3: force([0xA1, 0xB2, 0xC3, 0xD4], at: 0)
    case 4: force([0xA1, 0xB2, 0x3C, 0x4D], at: 0)
    case 5: force([0x0A, 0x0D, 0x0D, 0x0A], at: 0)
    case 6: force([0x0A, 0x0D, 0x0D, 0x0A], at: 0); force([0x4D, 0x3C, 0x2B, 0x1A], at: 8)
    case 7: force([0x0A, 0x0D, 0x0D, 0x0A], at: 0); force([0x1A, 0x2B, 0x3C, 0x4D], at: 8)
    case 8: fuzzReadBuffer(image); return 0
    default: break
    }

    let detected = CaptureFileFormat.detect(magic: Array(image.prefix(4)))
    if image.count >= 4 {
        if (1...4).contains(mode) { require(detected == .pcap) }
        if (5...7).contains(mode) { require(detected == .pcapng) }
    } else {
        require(detected == .other)
    }
    switch detected {
    case .pcap:
        checkClassic(image)
    case .pcapng:
        checkPcapng(image)
    case .other:
        do {
            _ = try PcapFileHeader.parse(image)
            fail("PcapFileHeader.parse accepted a file without a pcap magic")
        } catch {
            require(error.code == (image.count < PcapFileHeader.size ? .truncatedFileHeader : .badMagic))
            require(error.offset == 0)
        }
        checkPcapng(image)
    }
    return 0
}

// MARK: - Checks

/// `precondition`, but the message survives -O (where Swift drops it), so a CI log says what broke.
private func require(_ condition: Bool, _ message: @autoclosure () -> String = "", file: StaticString = #file, line: UInt = #line) {
    if !condition { fail(message(), file: file, line: line) }
}

private func fail(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
    fputs("CaptureFiles invariant violated at \(file):\(line): \(message)\n", stderr)
    abort()
}

// MARK: - Scratch file

nonisolated(unsafe) private var scratchFD: Int32 = -1
nonisolated(unsafe) private var sink: UInt64 = 0

/// One file for the whole run, in memory (/dev/shm) when possible, unlinked as soon as created.
private func scratchFile() -> Int32 {
    if scratchFD >= 0 { return scratchFD }
    for dir in ["/dev/shm", "/tmp"] {
        var path = Array("\(dir)/vigie-capture-fuzz-XXXXXX".utf8CString)
        let fd = path.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0 {
            _ = path.withUnsafeBufferPointer { unlink($0.baseAddress!) }
            scratchFD = fd
            return fd
        }
    }
    fatalError("cannot create a scratch file in /dev/shm or /tmp")
}

/// Replaces the scratch file's contents with `bytes` and rewinds it; returns the fd.
private func load(_ bytes: UnsafeRawBufferPointer) -> Int32 {
    let fd = scratchFile()
    require(ftruncate(fd, 0) == 0)
    var done = 0
    while done < bytes.count {
        let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(done))
        require(n > 0, "pwrite to the scratch file failed")
        done += n
    }
    require(lseek(fd, 0, SEEK_SET) == 0)
    return fd
}

/// Reads every byte (so ASan checks the whole range) and compares them with the image.
private func touch(_ bytes: UnsafeRawBufferPointer, equals image: UnsafeRawBufferPointer, at offset: Int) {
    var sum: UInt64 = 0
    for b in bytes { sum &+= UInt64(b) }
    sink &+= sum
    require(offset >= 0 && offset + bytes.count <= image.count)
    if bytes.count > 0 {
        require(memcmp(bytes.baseAddress!, image.baseAddress! + offset, bytes.count) == 0,
                     "packet bytes differ from the file's")
    }
}

/// What one call to a reader (or a model of it) produced.
private enum Step: Equatable {
    case packet(Expected)
    case end
    case error(PcapFormatError.Code, offset: Int)
}

private struct Expected: Equatable {
    var dataOffset: Int
    var capturedLength: Int
    var originalLength: UInt32
    /// File offset just after the record or block.
    var end: Int
    var format: SourceFormat
    var seconds: UInt32
    var fraction: UInt32
    var nanos: Int64
}

// MARK: - Classic pcap

private func checkClassic(_ image: UnsafeRawBufferPointer) {
    let parsed: PcapFileHeader?
    do { parsed = try PcapFileHeader.parse(image) } catch {
        require(error.code == (image.count < PcapFileHeader.size ? .truncatedFileHeader : .badMagic))
        parsed = nil
    }
    let reader: ClassicPcapReader
    do { reader = try ClassicPcapReader(fd: load(image)) } catch {
        require(parsed == nil && error.offset == 0)
        return
    }
    guard let header = parsed else { fail("reader accepted a header parse() rejects") }
    require(reader.header == header)
    let nano = header.resolution == .nano
    let format = SourceFormat(linkType: header.linkType, snaplen: header.snaplen, nanosecond: nano)
    require(reader.format == format)
    let maxCaptured = max(header.snaplen, 262_144)
    // Before 2.3 the two length fields are the other way round; the scanner (for Vigie's own
    // 2.4 segments) does not swap them, so it is compared with the reader only from 2.3 on.
    let oldVersion = header.versionMajor < 2 || (header.versionMajor == 2 && header.versionMinor < 3)

    var scanner: PcapRecordScanner
    do { scanner = try PcapRecordScanner(bytes: image) } catch { fail("scanner rejects a valid header: \(error)") }
    require(scanner.header == header && scanner.maxCapturedLength == maxCaptured)

    // The model: records back to back after the 24-byte header.
    func expectedStep(at start: Int) -> Step {
        let left = image.count - start
        if left == 0 { return .end }
        if left < PcapRecordHeader.size { return .error(.truncatedRecordHeader, offset: start) }
        let rh = PcapRecordHeader.load(from: image, at: start, byteSwapped: header.byteSwapped)
        let (cap, orig) = oldVersion ? (rh.originalLength, rh.capturedLength) : (rh.capturedLength, rh.originalLength)
        if cap > maxCaptured { return .error(.absurdRecordLength, offset: start) }
        if left - PcapRecordHeader.size < Int(cap) { return .error(.truncatedRecordData, offset: start) }
        let nanos = Int64(rh.seconds) * 1_000_000_000 + Int64(rh.fraction) * (nano ? 1 : 1000)
        return .packet(Expected(dataOffset: start + 16, capturedLength: Int(cap), originalLength: orig,
                                end: start + 16 + Int(cap), format: format,
                                seconds: rh.seconds, fraction: rh.fraction, nanos: nanos))
    }

    var packets: UInt64 = 0
    while true {
        let start = reader.offset
        require(start >= PcapFileHeader.size && start <= image.count)
        let expected = expectedStep(at: start)
        let actual: Step
        do {
            switch try reader.next() {
            case .packet(let h, let bytes):
                require(bytes.count == Int(h.capturedLength))
                touch(bytes, equals: image, at: start + 16)
                packets += 1
                require(reader.packetsRead == packets && reader.format == format)
                actual = .packet(Expected(dataOffset: start + 16, capturedLength: bytes.count, originalLength: h.originalLength,
                                          end: reader.offset, format: reader.format,
                                          seconds: h.seconds, fraction: h.fraction, nanos: h.timestampNanos))
            case .end: actual = .end
            case .timeout: fail("a file reader returned .timeout")
            }
        } catch {
            actual = .error(error.code, offset: error.offset)
        }
        require(actual == expected, "ClassicPcapReader: \(actual) but expected \(expected)")

        // PcapRecordScanner must agree with the reader record for record.
        if !oldVersion {
            let scanned: Step
            do {
                if let r = try scanner.next() {
                    touch(r.data, equals: image, at: r.offset + 16)
                    require(r.data.baseAddress == image.baseAddress! + r.offset + 16 && r.end <= image.count)
                    let h = r.header
                    scanned = .packet(Expected(dataOffset: r.offset + 16, capturedLength: r.data.count, originalLength: h.originalLength,
                                               end: r.end, format: format, seconds: h.seconds, fraction: h.fraction,
                                               nanos: h.nanoseconds(header.resolution)))
                    require(scanner.offset == r.end)
                } else {
                    scanned = .end
                }
            } catch {
                scanned = .error(error.code, offset: error.offset)
            }
            require(scanned == expected, "PcapRecordScanner: \(scanned) but expected \(expected)")
        }
        guard case .packet = actual else { break }
    }
    if oldVersion {  // still walk the scanner, for crashes and out-of-bounds reads
        do {
            while let r = try scanner.next() {
                touch(r.data, equals: image, at: r.offset + 16)
                sink &+= UInt64(bitPattern: r.header.nanoseconds(header.resolution))
            }
        } catch {}
    }
}

// MARK: - pcapng

private struct ModelInterface {
    var format: SourceFormat
    var unitsPerSecond: UInt64
    var offsetSeconds: Int64
}

/// An independent walk of a pcapng image: what PcapngReader should return, call by call, and its
/// `format` right after init.
private func pcapngModel(_ b: UnsafeRawBufferPointer) -> (initial: SourceFormat, steps: [Step]) {
    let defaultFormat = SourceFormat(linkType: 1, snaplen: 262_144, nanosecond: false)
    var steps: [Step] = []
    var initial: SourceFormat?
    var off = 0
    var swapped = false
    var interfaces: [ModelInterface] = []
    func u32(_ o: Int) -> UInt32 {
        let v = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
        return swapped ? v.byteSwapped : v
    }
    func u16(_ o: Int) -> UInt16 {
        let v = UInt16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
        return swapped ? v.byteSwapped : v
    }
    func packet(_ iface: ModelInterface, ts: UInt64, caplen: Int, origlen: UInt32, data: Int, end: Int) -> Step {
        let units = iface.unitsPerSecond
        let nano = iface.format.nanosecond
        let target: UInt64 = nano ? 1_000_000_000 : 1_000_000
        let frac = units.dividingFullWidth(target.multipliedFullWidth(by: ts % units)).quotient  // exact: < target
        let seconds = Int64(bitPattern: ts / units) &+ iface.offsetSeconds
        let nanos = seconds &* 1_000_000_000 &+ Int64(nano ? frac : frac * 1000)
        return .packet(Expected(dataOffset: data, capturedLength: caplen, originalLength: origlen, end: end,
                                format: iface.format, seconds: UInt32(truncatingIfNeeded: seconds),
                                fraction: UInt32(frac), nanos: nanos))
    }
    walk: while true {
        let left = b.count - off
        if left == 0 { steps.append(.end); break }
        if left < 12 { steps.append(.error(.truncatedRecordHeader, offset: off)); break }
        let magic = b.loadUnaligned(fromByteOffset: off, as: UInt32.self)  // palindromic
        if magic == 0x0A0D_0D0A {
            switch UInt32(littleEndian: b.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self)) {
            case 0x1A2B_3C4D: swapped = false
            case 0x4D3C_2B1A: swapped = true
            default: steps.append(.error(.badMagic, offset: off)); break walk
            }
            interfaces = []
        }
        let type = u32(off)
        let length = Int(u32(off + 4))
        guard length >= 12, length % 4 == 0, length <= 64 << 20 else { steps.append(.error(.badBlock, offset: off)); break }
        guard length <= left else { steps.append(.error(.truncatedRecordData, offset: off)); break }
        let end = off + length
        switch type {
        case 0x0A0D_0D0A:
            break
        case 1:
            guard length >= 20 else { steps.append(.error(.badBlock, offset: off)); break walk }
            var snaplen = u32(off + 12)
            if snaplen == 0 { snaplen = 262_144 }
            var units: UInt64 = 1_000_000
            var tsOffset: Int64 = 0
            var o = off + 16
            while o + 4 <= end - 4 {
                let code = u16(o), olen = Int(u16(o + 2))
                if code == 0 || o + 4 + olen > end - 4 { break }
                if code == 9 && olen >= 1 {
                    let r = b[o + 4], exp = Int(r & 0x7F)
                    if r & 0x80 == 0 {
                        if exp <= 19 { units = 1; for _ in 0..<exp { units *= 10 } }
                    } else if exp <= 63 {
                        units = 1 << UInt64(exp)
                    }
                } else if code == 14 && olen >= 8 {
                    let raw = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: o + 4, as: UInt64.self))
                    tsOffset = Int64(bitPattern: swapped ? raw.byteSwapped : raw)
                }
                o += 4 + ((olen + 3) & ~3)
            }
            interfaces.append(ModelInterface(format: SourceFormat(linkType: UInt32(u16(off + 8)), snaplen: snaplen, nanosecond: units > 1_000_000),
                                             unitsPerSecond: units, offsetSeconds: tsOffset))
        case 6, 2:  // enhanced / obsolete packet block
            guard length >= 32 else { steps.append(.error(.badBlock, offset: off)); break walk }
            let index = type == 6 ? Int(u32(off + 8)) : Int(u16(off + 8))
            guard index < interfaces.count else { steps.append(.error(.unknownInterface, offset: off)); break walk }
            let caplen = Int(u32(off + 20))
            guard 28 + caplen <= length - 4 else { steps.append(.error(.badBlock, offset: off)); break walk }
            let ts = UInt64(u32(off + 12)) << 32 | UInt64(u32(off + 16))
            steps.append(packet(interfaces[index], ts: ts, caplen: caplen, origlen: u32(off + 24), data: off + 28, end: end))
        case 3:  // simple packet block: interface 0, no timestamp
            guard length >= 16 else { steps.append(.error(.badBlock, offset: off)); break walk }
            guard let iface = interfaces.first else { steps.append(.error(.unknownInterface, offset: off)); break walk }
            let origlen = u32(off + 8)
            let caplen = min(Int(origlen), Int(iface.format.snaplen), length - 16)
            steps.append(packet(iface, ts: 0, caplen: caplen, origlen: origlen, data: off + 12, end: end))
        default:
            break
        }
        // The reader's init reads up to the first block that is not a section header.
        if initial == nil && type != 0x0A0D_0D0A { initial = interfaces.first?.format ?? defaultFormat }
        off = end
    }
    return (initial ?? defaultFormat, steps)
}

private func checkPcapng(_ image: UnsafeRawBufferPointer) {
    let model = pcapngModel(image)
    let reader: PcapngReader
    do { reader = try PcapngReader(fd: load(image)) } catch {
        // Init reads no packet block, so it may only fail where the model fails first.
        require(model.steps.first == .error(error.code, offset: error.offset),
                     "PcapngReader.init threw \(error) but expected \(model.steps.first!)")
        return
    }
    require(reader.format == model.initial, "format after init \(reader.format), expected \(model.initial)")
    var format = reader.format
    var generation = reader.formatGeneration
    var packets: UInt64 = 0
    for expected in model.steps {
        let actual: Step
        do {
            switch try reader.next() {
            case .packet(let h, let bytes):
                require(bytes.count == Int(h.capturedLength))
                guard case .packet(let e) = expected else {
                    fail("PcapngReader returned a packet, expected \(expected)")
                }
                touch(bytes, equals: image, at: e.dataOffset)
                packets += 1
                require(reader.packetsRead == packets)
                require(h.fraction < (reader.format.nanosecond ? 1_000_000_000 : 1_000_000), "fraction \(h.fraction) out of range")
                // formatGeneration moves exactly when format does.
                require((reader.formatGeneration != generation) == (reader.format != format), "formatGeneration out of step with format")
                require(reader.formatGeneration == generation || reader.formatGeneration == generation + 1)
                format = reader.format
                generation = reader.formatGeneration
                actual = .packet(Expected(dataOffset: e.dataOffset, capturedLength: bytes.count, originalLength: h.originalLength,
                                          end: reader.offset, format: reader.format,
                                          seconds: h.seconds, fraction: h.fraction, nanos: h.timestampNanos))
            case .end: actual = .end
            case .timeout: fail("a file reader returned .timeout")
            }
        } catch {
            actual = .error(error.code, offset: error.offset)
        }
        require(actual == expected, "PcapngReader: \(actual) but expected \(expected)")
    }
}

// MARK: - ReadBuffer

/// Input: one byte (low 4 bits: operation count; high 4 bits: initial capacity 16 << n), then
/// 4 bytes per operation (LE; bit 0 clear: ensure(value >> 1), set: consume up to value >> 1),
/// then the file.
private func fuzzReadBuffer(_ input: UnsafeRawBufferPointer) {
    guard let first = input.first else { return }
    let ops = Int(first & 0x0F)
    let initialCapacity = 16 << Int(first >> 4)
    guard input.count >= 1 + 4 * ops else { return }
    let image = UnsafeRawBufferPointer(rebasing: input[(1 + 4 * ops)...])
    let buffer = ReadBuffer(fd: load(image), capacity: initialCapacity)
    for i in 0..<ops {
        let v = UInt32(littleEndian: input.loadUnaligned(fromByteOffset: 1 + 4 * i, as: UInt32.self))
        let n = Int(v >> 1)
        if v & 1 == 0 {
            let remaining = image.count - buffer.fileOffset
            let ok: Bool
            do { ok = try buffer.ensure(n) } catch { fail("read of the scratch file failed: \(error.message)") }
            require(ok == (remaining >= n), "ensure(\(n)) = \(ok) with \(remaining) bytes left")
            require(ok ? buffer.available >= n : buffer.available == remaining)
        } else {
            buffer.consume(min(n, buffer.available))
        }
        require(buffer.available >= 0 && buffer.fileOffset + buffer.available <= image.count)
        touch(UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.available), equals: image, at: buffer.fileOffset)
        // Growth follows the bytes actually read, never a requested length alone.
        require(buffer.capacity <= max(initialCapacity, 2 * image.count),
                     "capacity \(buffer.capacity) for a \(image.count)-byte file")
    }
}
