extension PacketPipeline {
    /// Points the per-packet path at the recorder while it has live recordings.
    func refreshRecordings() {
        if let r = recorder, r.hasLive { liveRecorder = Unmanaged.passUnretained(r) } else { liveRecorder = nil }
    }

    /// The recordings' periodic work (from the capture loop): store ticks, state, file changes.
    func recordingsPeriodic() {
        guard let r = recorder else { return }
        r.periodic()
        refreshRecordings()
    }
}
