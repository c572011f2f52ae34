#if canImport(Glibc)
import Glibc
#endif

/// One fuzz input: bytes and their count; the return value is libFuzzer's (0: keep going).
public typealias FuzzInput = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzInput
) -> CInt

/// Hands the process's arguments to libFuzzer's driver (linked in by `-sanitize=fuzzer`) with
/// `input` as the target, and exits with its status. A Swift executable has a `main` of its own,
/// so libFuzzer's is never linked: this is the way in.
public func runFuzzer(_ input: FuzzInput) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    let status = llvmFuzzerRunDriver(&argc, &argv, input)
    exit(status)
}
