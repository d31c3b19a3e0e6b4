import Foundation
import Yams

extension Inventory {
    /// Parses an inventory from YAML (or JSON, which is YAML) and validates it.
    ///
    /// ```yaml
    /// nodes:
    ///   - {id: "10.0.0.5:443/tcp", kind: endpoint}
    ///   - {id: web, kind: service, reduce: "quorum:2", rules: [{at_least: 2, state: DEGRADED, then: DOWN}]}
    /// edges:
    ///   - {child: "10.0.0.5:443/tcp", parent: web, map: identity, weight: 1, group: lb}
    /// ```
    public static func parse(yaml text: String) throws(InventoryError) -> Inventory {
        let inventory: Inventory
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return Inventory() }
            inventory = try YAMLDecoder().decode(Inventory.self, from: text)
        } catch let error as DecodingError {
            throw InventoryError.from(error)
        } catch {
            throw InventoryError(subject: "inventory", "not valid YAML: \(error)")
        }
        try inventory.validate()
        return inventory
    }

    /// Parses JSON bytes and validates.
    public static func parse(json data: Data) throws(InventoryError) -> Inventory {
        let inventory: Inventory
        do {
            inventory = try JSONDecoder().decode(Inventory.self, from: data)
        } catch let error as DecodingError {
            throw InventoryError.from(error)
        } catch {
            throw InventoryError(subject: "inventory", "not valid JSON: \(error)")
        }
        try inventory.validate()
        return inventory
    }

    /// The inventory as YAML.
    public func yaml() -> String {
        (try? YAMLEncoder().encode(self)) ?? "nodes: []\nedges: []\n"
    }
}

extension InventoryError {
    /// A decoding error as a validation error naming the element (`nodes[2]`) and the field.
    static func from(_ error: DecodingError) -> InventoryError {
        func path(_ keys: [any CodingKey]) -> (String, String?) {
            var subject = "inventory"
            var field: String?
            for k in keys {
                if let i = k.intValue { subject += "[\(i)]" } else if subject == "inventory" { subject = k.stringValue } else { field = (field.map { $0 + "." } ?? "") + k.stringValue }
            }
            return (subject, field)
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let (s, f) = path(ctx.codingPath)
            return InventoryError(subject: s, field: (f.map { $0 + "." } ?? "") + key.stringValue, "missing")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let (s, f) = path(ctx.codingPath)
            return InventoryError(subject: s, field: f, ctx.debugDescription)
        @unknown default:
            return InventoryError(subject: "inventory", "\(error)")
        }
    }
}
