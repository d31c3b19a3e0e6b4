import Correlation
import Foundation
import ServerHTTP

/// Sends one RFC 5424 message to a syslog receiver: a UDP datagram, or over TCP a connection
/// per message with octet-counting framing (RFC 6587 §3.4.1). Blocking: the delivery thread's.
enum SyslogSender {
    /// nil when sent, else why not. UDP has no acknowledgement: "sent" is the best it can tell.
    static func send(_ message: [UInt8], to s: NotificationReceiver.Syslog, allow: NotificationAllowList) -> String? {
        let addresses: [[UInt8]]
        switch allow.addresses(of: s.host) {
        case .failure(let e): return e.description
        case .success(let a): addresses = a
        }
        guard let address = addresses.first else { return "no address" }
        let family = address.count == 16 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(s.transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        // Bounded waits: a receiver that stops reading never holds the delivery thread long.
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let frame = s.transport == .udp ? message : SyslogMessage.octetCounted(String(decoding: message, as: UTF8.self))
        return withSockaddr(address, port: s.port) { sa, len -> String? in
            if s.transport == .udp {
                let n = frame.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, sa, len) }
                return n == frame.count ? nil : "sendto: \(String(cString: strerror(errno)))"
            }
            guard connect(fd, sa, len) == 0 else { return "connect: \(String(cString: strerror(errno)))" }
            var offset = 0
            while offset < frame.count {
                let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return "send: \(String(cString: strerror(errno)))" }
                offset += n
            }
            return nil
        }
    }

    private static func withSockaddr<R>(_ address: [UInt8], port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        let p = UInt16(clamping: port).bigEndian
        if address.count == 16 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = p
            withUnsafeMutableBytes(of: &sa.sin6_addr) { raw in for (i, b) in address.enumerated() where i < raw.count { raw[i] = b } }
            return withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = p
        withUnsafeMutableBytes(of: &sa.sin_addr) { raw in for (i, b) in address.enumerated() where i < raw.count { raw[i] = b } }
        return withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
}
