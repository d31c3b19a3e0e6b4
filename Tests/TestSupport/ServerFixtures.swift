import Foundation

// The server tests' fixtures: the shop inventory and a manual clock (record lines: RecordLines.swift).

/// A clock tests move by hand.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    public init(_ start: Double = 1_700_000_000) { value = start }
    public var now: Double { lock.withLock { value } }
    public func advance(_ s: Double) { lock.withLock { value += s } }
    public var function: @Sendable () -> Double { { [self] in self.now } }
}

/// A small web-shop inventory: two redundant front ends behind a load balancer group, a database.
public let shopYAML = """
nodes:
  - {id: paris, kind: site}
  - {id: edge-paris-01, kind: agent}
  - {id: "10.0.0.5:443/tcp", kind: endpoint}
  - {id: "10.0.0.6:443/tcp", kind: endpoint}
  - {id: "10.0.0.7:5432/tcp", kind: endpoint}
  - {id: "[2001:db8::1]:53/udp", kind: endpoint}
  - {id: web, kind: service, reduce: best}
  - {id: db, kind: service}
  - {id: dns, kind: service}
  - {id: shop, kind: application, name: "Web shop"}
edges:
  - {child: edge-paris-01, parent: paris}
  - {child: "10.0.0.5:443/tcp", parent: web}
  - {child: "10.0.0.6:443/tcp", parent: web}
  - {child: "10.0.0.7:5432/tcp", parent: db}
  - {child: "[2001:db8::1]:53/udp", parent: dns}
  - {child: web, parent: shop}
  - {child: db, parent: shop}
  - {child: dns, parent: shop, map: "set:WARNING"}
"""
