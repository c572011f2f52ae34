#if canImport(Glibc)
import Glibc
import Foundation

/// CPU time another process has used, from `/proc/PID/stat` (user + system, in clock ticks of
/// usually 10 ms: fine over a window of seconds).
public enum ProcessCPU {
    /// Seconds of CPU process `pid` has used so far; nil once it is gone.
    public static func seconds(pid: pid_t) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3, utime field 14, stime field 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
#endif
