#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Benchmark

/// CPU time of the calling thread, in nanoseconds.
///
/// The harness's `cpuTotal` is the process's CPU time, which Linux counts in 10 ms ticks: it
/// reads 0 or 10 ms for an iteration of a few hundred microseconds. The thread's own CPU clock
/// has nanosecond resolution, and it does not run while the thread waits for a core, which on a
/// shared machine keeps it steadier than wall clock.
public enum ThreadCPUTime {
    /// The custom metric under which benchmarks record it.
    public static let metric = BenchmarkMetric.custom("Time (thread CPU) (ns)", polarity: .prefersSmaller, useScalingFactor: true)

    /// Nanoseconds of CPU this thread has used since it started.
    @inline(__always)
    public static func now() -> Int {
        var time = timespec()
        let result = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        precondition(result == 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed")
        return Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)
    }
}
