internal import CZlib
import NIOCore

/// Inflates permessage-deflate messages (RFC 7692 §7.2.2) within a hard size limit.
///
/// Each message gets the empty stored block its sender stripped (`00 00 FF FF`) put back, and
/// is inflated with Z_SYNC_FLUSH into a buffer that never grows past `limit + 1` bytes: a
/// decompression bomb (a few KB that inflate to gigabytes) stops at the limit with
/// ``InflaterError/tooLarge(limit:)`` instead of allocating what it asks for.
///
/// Without `keepsContext` (the peer agreed to no context takeover, as a Spaces server asks of
/// clients and a Spaces server does itself) the stream is reset after every message, so an
/// Inflater holds nothing between calls: one per event loop can serve every connection on it.
/// Not thread-safe and not `Sendable`: zlib state (~7 KB, plus a 32 KB window once used).
public final class Inflater {
    /// Keeps the LZ77 window from one message to the next, for a peer that did not agree to
    /// no context takeover. Such an Inflater belongs to one connection.
    public let keepsContext: Bool
    /// Lives at a fixed address: zlib's internal state points back at its `z_stream`.
    private let stream: UnsafeMutablePointer<z_stream>

    public init(keepsContext: Bool = false) {
        self.keepsContext = keepsContext
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // A 15-bit window inflates what any window of 8 to 15 bits compressed.
        let result = spaces_inflateInit2(self.stream, -15)
        precondition(result == Z_OK, "inflateInit2 failed (\(result)): out of memory")
    }

    deinit {
        inflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// The inflated form of one whole message (the payloads of its frames, joined).
    ///
    /// Throws ``InflaterError/tooLarge(limit:)`` as soon as more than `limit` bytes come out,
    /// and ``InflaterError/corrupt(_:)`` for anything that is not raw deflate or ends inside a
    /// block. After a throw the stream is reset; with `keepsContext` the connection cannot go
    /// on (its window is lost), as RFC 7692 expects: fail it.
    public func inflate(_ message: ByteBuffer, limit: Int, allocator: ByteBufferAllocator = .init()) throws(InflaterError) -> ByteBuffer {
        precondition(limit >= 0, "a negative limit")
        // An empty payload is not deflate at all; senders write one 0x00 byte for an empty
        // message (§7.2.3.6). Taken as the empty message it means.
        guard message.readableBytes > 0 else { return allocator.buffer(capacity: 0) }
        let cap = limit < Int.max ? limit + 1 : limit
        var output = allocator.buffer(capacity: min(cap, max(256, message.readableBytes * 4)))
        var outcome = message.withUnsafeReadableBytes { self.feed($0, into: &output, cap: cap) }
        if outcome == .consumed {
            outcome = PermessageDeflate.syncFlushTail.withUnsafeBytes { self.feed($0, into: &output, cap: cap) }
            // After the tail, the stream waits for the next block header (zlib: mode TYPE, bit
            // 128 of data_type). Anywhere else, the message stopped inside a block.
            if outcome == .consumed, self.stream.pointee.data_type & 128 == 0 {
                outcome = .failed(.corrupt("the message ends inside a deflate block"))
            }
        }
        self.stream.pointee.next_in = nil
        self.stream.pointee.next_out = nil
        switch outcome {
        case .failed(let error):
            inflateReset(self.stream)
            throw error
        case .consumed, .ended:
            if output.readableBytes > limit {
                inflateReset(self.stream)
                throw .tooLarge(limit: limit)
            }
            // A final block (BFINAL) ends the stream, and the next message starts a new one.
            if !self.keepsContext || outcome == .ended { inflateReset(self.stream) }
            return output
        }
    }

    private enum Outcome: Equatable {
        /// All the input went in; the stream goes on.
        case consumed
        /// The stream ended with a final block; any input after it is ignored.
        case ended
        case failed(InflaterError)
    }

    /// Inflates `input` into `output`, growing it (doubling) up to `cap` bytes and no further.
    private func feed(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, cap: Int) -> Outcome {
        self.stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        self.stream.pointee.avail_in = UInt32(clamping: input.count)
        guard input.count <= UInt32.max else { return .failed(.tooLarge(limit: cap - 1)) }
        while true {
            if output.readableBytes >= cap { return .failed(.tooLarge(limit: cap - 1)) }
            if output.writableBytes == 0 {
                let target = min(cap, max(256, output.capacity * 2))
                output.reserveCapacity(minimumWritableBytes: target - output.readableBytes)
            }
            let room = min(output.writableBytes, cap - output.readableBytes, Int(UInt32.max))
            var result: Int32 = Z_OK
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { out in
                self.stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = UInt32(room)
                result = CZlib.inflate(self.stream, Z_SYNC_FLUSH)
                return room - Int(self.stream.pointee.avail_out)
            }
            switch result {
            case Z_STREAM_END:
                return .ended
            case Z_OK, Z_BUF_ERROR:
                // Output room left over means zlib wrote all it could: the input is used up.
                if self.stream.pointee.avail_out > 0 {
                    return self.stream.pointee.avail_in == 0 ? .consumed : .failed(.corrupt("inflate made no progress"))
                }
            case Z_NEED_DICT:
                return .failed(.corrupt("a preset dictionary was asked for"))
            case Z_DATA_ERROR:
                let detail = self.stream.pointee.msg.map { String(cString: $0) } ?? "invalid deflate data"
                return .failed(.corrupt(detail))
            default:
                preconditionFailure("inflate failed (\(result))")
            }
        }
    }
}

@available(*, unavailable)
extension Inflater: Sendable {}
