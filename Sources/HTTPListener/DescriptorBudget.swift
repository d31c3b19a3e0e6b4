#if canImport(Glibc)
import Glibc
#endif

/// How many descriptors the process may hold, and how many a listener may take of them.
public enum DescriptorBudget {
    /// Descriptors kept back from connections for capture, storage, the database and logs.
    public static let reserve = 512

    /// Raises the soft open-file limit to the hard one (services often start at 1,024), and
    /// returns the connections a listener may hold: `wanted`, or less when the limit minus the
    /// reserve is lower.
    public static func connections(wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let soft = limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
        return max(1, min(wanted, soft - reserve))
    }
}
