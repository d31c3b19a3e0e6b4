import Correlation
import Foundation

/// The JSON of a state change (Schemas/events/state_change.schema.json): the `data:` of the
/// Server-Sent Events stream and the value of the optional Kafka topic of changes, byte for byte.
public enum StateChangeJSON {
    /// One object, snake_case members, sorted keys; `previous` is absent for a node's first state.
    public static func encode(_ event: StateChangeEvent) -> [UInt8] {
        Array((try? ServerAPI.encoder.encode(EventPayload(event))) ?? Data("{}".utf8))
    }
}
