/// Builds TLS records for the unit tests.
/// TLS record and handshake bytes for tests (shared by the parser and analytics tests).
public enum TLSBuilder {
    public static func record(_ type: UInt8, version: UInt16 = 0x0301, _ body: [UInt8], declaredLength: Int? = nil) -> [UInt8] {
        [type] + TLSBytes.be16(version) + TLSBytes.be16(declaredLength ?? body.count) + body
    }

    public static func handshake(_ type: UInt8, _ body: [UInt8], declaredLength: Int? = nil) -> [UInt8] {
        [type] + TLSBytes.be24(declaredLength ?? body.count) + body
    }

    public static func ext(_ type: Int, _ data: [UInt8]) -> [UInt8] { TLSBytes.be16(type) + TLSBytes.be16(data.count) + data }

    public static func sni(_ host: String, listLength: Int? = nil, nameLength: Int? = nil) -> [UInt8] {
        let name = Array(host.utf8)
        let entry = [0] + TLSBytes.be16(nameLength ?? name.count) + name
        return ext(0, TLSBytes.be16(listLength ?? entry.count) + entry)
    }

    public static func supportedVersions(_ versions: [Int]) -> [UInt8] {
        ext(43, [UInt8(versions.count * 2)] + versions.flatMap { TLSBytes.be16($0) })
    }

    public static func clientHelloBody(version: Int = 0x0303, extensions: [UInt8]?, extensionsLength: Int? = nil) -> [UInt8] {
        var b = TLSBytes.be16(version) + Array(repeating: 0xAB, count: 32)
        b += [32] + Array(repeating: 0x11, count: 32)  // session id
        b += TLSBytes.be16(4) + [0x13, 0x01, 0xC0, 0x2F]  // cipher suites
        b += [1, 0]  // compression: null
        if let extensions { b += TLSBytes.be16(extensionsLength ?? extensions.count) + extensions }
        return b
    }

    public static func clientHello(_ host: String? = "example.com", versions: [Int]? = nil) -> [UInt8] {
        var exts: [UInt8] = ext(0x0A0A, [])  // GREASE extension first
        if let host { exts += sni(host) }
        if let versions { exts += supportedVersions(versions) }
        return record(22, handshake(1, clientHelloBody(extensions: exts)))
    }

    public static func serverHello(version: Int = 0x0303, selected: Int? = nil) -> [UInt8] {
        var b = TLSBytes.be16(version) + Array(repeating: 0xCD, count: 32) + [0] + [0x13, 0x01] + [0]
        var exts: [UInt8] = []
        if let selected { exts += ext(43, TLSBytes.be16(selected)) }
        b += TLSBytes.be16(exts.count) + exts
        return record(22, version: 0x0303, handshake(2, b))
    }
}

/// Big-endian length fields for ``TLSBuilder``.
enum TLSBytes {
    static func be16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: UInt16) -> [UInt8] { be16(Int(v)) }
    static func be24(_ v: Int) -> [UInt8] { [UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
