import ServerHTTP
import ServiceLifecycle

/// ``ApplicationPinOrders`` as a `Service`: follows the state changes until shutdown.
struct ApplicationPinService: Service {
    let orders: ApplicationPinOrders

    func run() async throws {
        await cancelWhenGracefulShutdown { await orders.run() }
    }
}
