import NIOCore

/// The fixed 14-byte header of an ``AudioBatch``, read without touching the frames.
///
/// Light clients (the listener CLI, the load tester) read only this: sequence numbers and the
/// capture time are all they need to count gaps and measure latency.
public struct AudioBatchHeader: Sendable, Equatable {
    public var frameCount: UInt8
    public var firstSequence: UInt32
    public var captureTimeMicros: UInt64

    public init(frameCount: UInt8, firstSequence: UInt32, captureTimeMicros: UInt64) {
        self.frameCount = frameCount
        self.firstSequence = firstSequence
        self.captureTimeMicros = captureTimeMicros
    }

    /// The sequence number one past the last frame of this batch (wrapping).
    public var nextSequence: UInt32 { self.firstSequence &+ UInt32(self.frameCount) }

    /// Reads the header at the reader index of `buffer` without moving it.
    public static func decode(_ buffer: ByteBuffer, limit: Int = .max) throws(AudioBatchError) -> AudioBatchHeader {
        guard buffer.readableBytes <= limit else {
            throw .tooLarge(size: buffer.readableBytes, limit: limit)
        }
        guard buffer.readableBytes >= AudioBatch.headerSize else {
            throw .truncatedHeader(available: buffer.readableBytes)
        }
        let base = buffer.readerIndex
        let kind = buffer.getInteger(at: base, as: UInt8.self)!
        guard kind == AudioBatch.kind else { throw .unknownKind(kind) }
        let count = buffer.getInteger(at: base + 1, as: UInt8.self)!
        guard count > 0 else { throw .noFrames }
        return AudioBatchHeader(
            frameCount: count,
            firstSequence: buffer.getInteger(at: base + 2, as: UInt32.self)!,
            captureTimeMicros: buffer.getInteger(at: base + 6, as: UInt64.self)!
        )
    }
}
