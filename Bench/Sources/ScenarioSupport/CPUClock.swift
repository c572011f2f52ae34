#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time used so far, in nanoseconds: by the whole process, or by the calling thread.
///
/// Both clocks have nanosecond resolution on Linux and do not advance while a thread waits for
/// a core, which keeps figures steadier than wall time on a shared machine.
public enum CPUClock {
    public static func process() -> Int {
        self.read(CLOCK_PROCESS_CPUTIME_ID)
    }

    public static func thread() -> Int {
        self.read(CLOCK_THREAD_CPUTIME_ID)
    }

    /// Monotonic wall time.
    public static func wall() -> Int {
        self.read(CLOCK_MONOTONIC)
    }

    private static func read(_ clock: clockid_t) -> Int {
        var time = timespec()
        let result = clock_gettime(clock, &time)
        precondition(result == 0, "clock_gettime failed")
        return Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)
    }
}
