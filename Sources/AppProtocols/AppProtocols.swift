/// DNS, HTTP/1.x and TLS parsers: zero-copy over a payload buffer, allocation-free on the hot path.
public enum AppProtocols {}
