/// The captures `Scripts/stream_captures.py` writes with Scapy: the same HTTP/1.x, TLS and DNS over
/// TCP conversations with their segments in order, reordered, duplicated, overlapping, and
/// overlapping with other bytes. Generated once per test process (``ScriptCaptures``).
public enum StreamCaptureFiles {
    /// The shapes, one capture each; `inorder` is the reference.
    public static let shapes = ["inorder", "reordered", "duplicated", "overlapping", "conflicting"]

    static let generated = ScriptCaptures(script: "stream_captures.py", purpose: "streams")

    /// The directory holding the captures, or why there is none.
    public static var directory: Result<String, ScriptCaptures.Unavailable> { generated.directory }

    /// The path of one capture (`name` without `.pcap`), or nil when the captures are unavailable.
    public static func path(_ name: String) -> String? { generated.path(name) }
}
