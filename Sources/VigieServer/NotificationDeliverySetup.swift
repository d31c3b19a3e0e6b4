import ArgumentParser
import Correlation
import Foundation
import Logging
import ServerHTTP

extension ServeCommand {
    /// `--notifications FILE` and `--notify-allow`, checked: a bad file, rule or receiver stops
    /// the server at start with the key at fault. nil without `--notifications`.
    /// `store` opens the notification tables of the server's database (called only with `--notifications`).
    func notificationSetup(correlator: Correlator, store: (() throws -> any NotificationStorage)?, metrics: ServerMetrics,
                           listen: String, logger: Logger) throws -> (NotificationRuleBook, NotificationService)? {
        guard let path = notifications else {
            if !notifyAllow.isEmpty { throw ValidationError("--notify-allow needs --notifications FILE") }
            return nil
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError("--notifications: \(path): \(error.localizedDescription)")
        }
        var config: NotificationConfig
        do throws(NotificationConfigError) { config = try NotificationConfig.parse(yaml: text) } catch {
            throw ValidationError("--notifications: \(path): \(error)")
        }
        if config.externalURL.isEmpty { config.externalURL = "http://\(listen)" }
        let allow: NotificationAllowList
        do throws(AddressRange.Invalid) { allow = try NotificationAllowList(cidrs: notifyAllow + config.allow) } catch {
            throw ValidationError("--notify-allow / allow: \(error)")
        }
        do throws(NotificationConfigError) { try NotificationDelivery.check(config, allow: allow) } catch {
            throw ValidationError("--notifications: \(path): \(error)")
        }
        guard let store else { throw ValidationError("--notifications needs a database (--data or --database)") }
        let s = try store()
        let book = try NotificationRuleBook(config: config, store: s)
        let counters = NotificationMetrics()
        metrics.add(counters)
        let delivery: NotificationDelivery
        do { delivery = try NotificationDelivery(correlator: correlator, store: s, book: book, allow: allow, metrics: counters, logger: logger) } catch {
            throw ValidationError("--notifications: \(path): \(error)")
        }
        logger.notice("notifications on", metadata: ["rules": "\(book.rules().count)", "receivers": "\(config.receivers.count)",
                                                     "allow": "\(allow.ranges.map(\.description).joined(separator: ","))"])
        return (book, NotificationService(delivery: delivery))
    }
}
