#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOWebSocket

/// Tells ThreadSanitizer about the hand-off of a connection's frames from its event loop to the
/// task that reads them, when the process runs under it (nothing otherwise).
///
/// A frame is built on the event loop and reaches the reading task through `NIOAsyncChannel`,
/// whose waiting reader is resumed through a continuation. On this toolchain (Swift 6.3, Linux)
/// resuming a continuation is not a synchronization ThreadSanitizer sees: fifteen lines that
/// build an object on a `DispatchQueue` and resume a `CheckedContinuation` with it are reported
/// as a race. The edge is real, so it is declared here with TSan's own annotations: the loop
/// releases the connection's token after each frame is built, the reader acquires it after each
/// frame arrives.
final class HandOff: Sendable {
    private typealias Annotation = @convention(c) (UnsafeRawPointer?) -> Void
    /// TSan's `__tsan_release` and `__tsan_acquire`, found at run time: nil without TSan.
    private static let annotations: (release: Annotation, acquire: Annotation)? = {
        #if canImport(Darwin)
        let everywhere = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #else
        let everywhere: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #endif
        guard let release = dlsym(everywhere, "__tsan_release"), let acquire = dlsym(everywhere, "__tsan_acquire") else { return nil }
        return (unsafeBitCast(release, to: Annotation.self), unsafeBitCast(acquire, to: Annotation.self))
    }()

    /// On the event loop, after a frame was built and before it is handed on.
    func released() {
        guard let annotations = Self.annotations else { return }
        annotations.release(Unmanaged.passUnretained(self).toOpaque())
    }

    /// In the reading task, after a frame arrived.
    func acquired() {
        guard let annotations = Self.annotations else { return }
        annotations.acquire(Unmanaged.passUnretained(self).toOpaque())
    }

    /// The pipeline half: marks each frame on its way to `NIOAsyncChannel`'s handler.
    final class Marker: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias InboundOut = WebSocketFrame

        private let handOff: HandOff

        init(_ handOff: HandOff) {
            self.handOff = handOff
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.handOff.released()
            context.fireChannelRead(data)
        }
    }
}
