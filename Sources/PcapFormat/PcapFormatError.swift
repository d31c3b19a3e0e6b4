/// An error in the bytes of a pcap file, with the byte offset where it was found.
public struct PcapFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case truncatedFileHeader = "truncated file header"
        case badMagic = "not a pcap file (bad magic)"
        case truncatedRecordHeader = "record header cut short"
        case truncatedRecordData = "record data cut short"
        case absurdRecordLength = "record length larger than the snapshot length allows"
        case badBlock = "malformed pcapng block"
        case unknownInterface = "pcapng packet names an undeclared interface"
    }

    public var code: Code
    /// Byte offset in the file of the header or record at fault.
    public var offset: Int
    public var detail: String

    public init(_ code: Code, offset: Int, detail: String = "") {
        self.code = code
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "\(code.rawValue) at offset \(offset)" : "\(code.rawValue) at offset \(offset) (\(detail))"
    }
}
