#if canImport(Glibc)
import Glibc

/// Pins the threads of a process to one core.
public enum CPUAffinity {
    /// Pins every thread of this process to `cpu`; threads started later inherit it from the
    /// thread that starts them. Returns false when the kernel refuses (no such core).
    @discardableResult
    public static func pinProcess(to cpu: Int) -> Bool {
        self.pinThreads(of: getpid(), to: cpu)
    }

    /// Pins every current thread of process `pid` to `cpu`.
    @discardableResult
    public static func pinThreads(of pid: pid_t, to cpu: Int) -> Bool {
        // glibc declares sched_setaffinity only under _GNU_SOURCE, which Swift's Glibc module
        // does not define: look the function up by name.
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
        guard let symbol = dlsym(nil, "sched_setaffinity") else { return false }
        let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
        var set = cpu_set_t()
        withUnsafeMutableBytes(of: &set) { bytes in
            bytes[cpu / 8] = UInt8(1 << (cpu % 8))
        }
        var threads: [pid_t] = []
        if let directory = opendir("/proc/\(pid)/task") {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if let tid = pid_t(name) { threads.append(tid) }
            }
            closedir(directory)
        }
        if threads.isEmpty { threads = [pid] }
        var ok = true
        for tid in threads where withUnsafeBytes(of: &set, { setAffinity(tid, MemoryLayout<cpu_set_t>.size, $0.baseAddress!) }) != 0 {
            ok = false
        }
        return ok
    }
}
#endif
