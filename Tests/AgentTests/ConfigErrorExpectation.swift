import Testing
@testable import Agent

/// Expects `yaml` to be refused with a ``ConfigError`` naming `option` and saying `message`.
func expectConfigError(_ yaml: String, option: String, message: String) {
    do {
        _ = try ConfigLoader.parse(yaml)
        Issue.record("accepted: \(yaml)")
    } catch let e as ConfigError {
        #expect(e.option == option, "\(e)")
        #expect(e.message.contains(message), "\(e)")
    } catch {
        Issue.record("\(error)")
    }
}
