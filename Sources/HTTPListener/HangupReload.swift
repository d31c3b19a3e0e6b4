import Dispatch
import Foundation

/// Runs a reload (token files) on SIGHUP: rotation without a restart. The work runs on a queue of
/// its own, never inside a signal handler.
public enum HangupReload {
    /// Installs the handler; keep the returned source alive for as long as reloads are wanted.
    public static func install(_ reload: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "vigie.sighup"))
        source.setEventHandler(handler: reload)
        source.resume()
        return source
    }
}
