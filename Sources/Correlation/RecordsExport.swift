// The record types (`IngestRecord`, `Envelope`, `RecordParser`, `Timestamp`, `ServiceID`,
// `AgentServiceState`...) are part of the correlator's API (ingest results, views, inventory ids):
// whoever imports Correlation sees them, as before they moved to the Records module.
@_exported import Records
