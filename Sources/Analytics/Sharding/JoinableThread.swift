#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread running one body, joined by its owner: the workers and the merger each have
/// one (they block in naps, so they stay off the shared async pool).
final class JoinableThread: @unchecked Sendable {
    // @unchecked: `thread` and `started` are touched only by the owner's thread (start, join).
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private var thread = pthread_t()
    private var started = false

    /// Starts `body` on a new thread (once).
    func start(_ body: @escaping () -> Void) {
        guard !started else { return }
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, box)
        started = true
    }

    /// Waits for the body to return.
    func join() {
        guard started else { return }
        pthread_join(thread, nil)
        started = false
    }
}
