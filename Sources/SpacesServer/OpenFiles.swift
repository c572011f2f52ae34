#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file ceiling: every socket is a file, so it bounds the listeners a node
/// can hold whatever its CPU (here 20,000, which cannot be raised).
enum OpenFiles {
    /// The soft RLIMIT_NOFILE, read once.
    static let limit: Int = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_cur)
    }()

    /// Files kept for what is not a listener: the listening socket, Redis, hosts, API calls,
    /// logs. 100 by default.
    static let reserve = 100
}
