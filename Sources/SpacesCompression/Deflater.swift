internal import CZlib
import NIOCore

/// Compresses whole messages for permessage-deflate (RFC 7692 §7.2.1), each on its own.
///
/// Raw deflate (no zlib header), a 15-bit window, memLevel 8. Each ``compress(_:allocator:)``
/// ends with a Z_SYNC_FLUSH, strips the empty stored block that ends it (`00 00 FF FF`) and
/// resets the stream, so that no message refers to an earlier one: that is
/// `server_no_context_takeover`, which lets one compressed frame go to every listener.
///
/// Not thread-safe, and not `Sendable`: it owns ~260 KB of zlib state that each call mutates.
/// Keep one per event loop (or one per Space, used under that Space's lock), never one per
/// listener: since nothing is kept between messages, any message can use any Deflater.
public final class Deflater {
    /// The zlib compression level, 0 (store) to 9. 6 by default, zlib's own default: on short
    /// JSON texts, higher levels cost more CPU for a few bytes.
    public let level: Int
    /// Lives at a fixed address: zlib's internal state points back at its `z_stream`.
    private let stream: UnsafeMutablePointer<z_stream>

    public init(level: Int = 6) {
        precondition((0...9).contains(level), "zlib levels are 0...9, not \(level)")
        self.level = level
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // Negative window bits: raw deflate, as RFC 7692 frames carry no zlib header.
        let result = spaces_deflateInit2(self.stream, Int32(level), -15, 8)
        precondition(result == Z_OK, "deflateInit2 failed (\(result)): out of memory")
    }

    deinit {
        deflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// The compressed form of `message`'s readable bytes: the payload of a frame with RSV1 set.
    public func compress(_ message: ByteBuffer, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        message.withUnsafeReadableBytes { self.compress(bytes: $0, allocator: allocator) }
    }

    /// The compressed form of `bytes` (a `String`'s `utf8`, an array).
    public func compress(_ bytes: some Collection<UInt8>, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        if let compressed = bytes.withContiguousStorageIfAvailable({ self.compress(bytes: UnsafeRawBufferPointer($0), allocator: allocator) }) {
            return compressed
        }
        return Array(bytes).withUnsafeBytes { self.compress(bytes: $0, allocator: allocator) }
    }

    private func compress(bytes input: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> ByteBuffer {
        precondition(input.count <= UInt32.max, "a message of \(input.count) bytes is beyond zlib's 4 GB per call")
        defer { deflateReset(self.stream) }
        // deflateBound leaves out the sync flush's empty block (5 bytes) and its bits before.
        let bound = Int(deflateBound(self.stream, UInt(input.count))) + 16
        var output = allocator.buffer(capacity: bound)
        self.stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        self.stream.pointee.avail_in = UInt32(input.count)
        repeat {
            if output.writableBytes == 0 { output.reserveCapacity(minimumWritableBytes: max(64, output.capacity / 2)) }
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { out in
                let room = min(out.count, Int(UInt32.max))
                self.stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = UInt32(room)
                // Z_BUF_ERROR only says "no progress possible": everything was already flushed.
                let result = deflate(self.stream, Z_SYNC_FLUSH)
                precondition(result == Z_OK || result == Z_BUF_ERROR, "deflate failed (\(result))")
                return room - Int(self.stream.pointee.avail_out)
            }
        } while self.stream.pointee.avail_in > 0 || self.stream.pointee.avail_out == 0
        self.stream.pointee.next_in = nil
        self.stream.pointee.next_out = nil
        precondition(
            output.readableBytesView.suffix(4).elementsEqual(PermessageDeflate.syncFlushTail),
            "a sync flush ends with 00 00 FF FF"
        )
        output.moveWriterIndex(to: output.writerIndex - 4)
        return output
    }
}

@available(*, unavailable)
extension Deflater: Sendable {}
