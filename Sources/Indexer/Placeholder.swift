/// Placeholder until the index lands; replaced by the Indexer sources.
enum IndexerPlaceholder {}
