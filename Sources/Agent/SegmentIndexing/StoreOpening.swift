import Indexer
import Logging

extension SegmentStore {
    /// Opens the store a configuration names, with its indexer when indexing is on: the one way
    /// `capture`, `ingest` and the tests open a store for writing.
    public static func open(config: AgentConfig, logger: Logger) throws -> SegmentStore {
        guard let root = config.store else { throw ConfigError(option: "--store", "a store directory is required") }
        let fields = try config.index.fieldSet()
        let layout = StoreLayout(root: root)
        let store = try SegmentStore(layout: layout, config: config.storage, logger: logger)
        store.removeSegmentIndex = { id in SegmentIndex.remove(at: layout.indexPath(id)) }
        store.pins = PinKeeper(layout: layout, config: config.pins, storage: config.storage, logger: logger)
        if config.index.enabled {
            store.indexer = try StoreIndexer(layout: layout, fields: fields, segmentBytes: config.storage.segmentBytes, logger: logger)
        }
        return store
    }
}

extension IndexConfig {
    /// The configured field names as an `IndexFieldSet`; an unknown name is a `ConfigError`.
    public func fieldSet() throws(ConfigError) -> IndexFieldSet {
        do {
            return try IndexFieldSet(names: fields)
        } catch {
            throw ConfigError(option: "index.fields", error.description)
        }
    }
}
