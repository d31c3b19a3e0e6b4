import Records

/// A destination draining the spool on its own thread.
public protocol ExportSink: AnyObject, Sendable {
    /// The sink's name: its spool cursor is `cursors/NAME.cursor`.
    var name: String { get }
    /// Starts the sink's thread.
    func start()
    /// Sends what the spool holds for up to `drainSeconds`, then stops the thread.
    func stop(drainSeconds: Double)
    /// Current counters.
    func stats() -> SinkStats
}
