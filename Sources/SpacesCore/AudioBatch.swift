import NIOCore

/// A binary audio batch: the same layout host → server and server → listener, big-endian.
///
/// ```
/// u8  kind = 1
/// u8  frameCount            1…255
/// u32 firstSequence         frame i has sequence firstSequence + i (wrapping)
/// u64 captureTimeMicros     Unix µs at which the origin received the first frame
/// frameCount × (u16 length, Opus packet of `length` bytes, 1…1275)
/// ```
///
/// `frames` are slices of the buffer the batch was decoded from: decoding copies no audio.
public struct AudioBatch: Sendable, Equatable {
    /// The message kind byte of an audio batch.
    public static let kind: UInt8 = 1
    /// Size of the fixed header in bytes.
    public static let headerSize = 14
    /// At most this many frames fit in one batch (`frameCount` is a `u8`).
    public static let maximumFrameCount = 255

    public var firstSequence: UInt32
    public var captureTimeMicros: UInt64
    public var frames: [ByteBuffer]

    public init(firstSequence: UInt32, captureTimeMicros: UInt64, frames: [ByteBuffer]) {
        precondition(!frames.isEmpty && frames.count <= Self.maximumFrameCount, "1…255 frames per batch")
        self.firstSequence = firstSequence
        self.captureTimeMicros = captureTimeMicros
        self.frames = frames
    }

    /// The encoded size of a batch holding packets of these lengths.
    public static func encodedSize<C: Collection>(packetLengths: C) -> Int where C.Element == Int {
        headerSize + packetLengths.reduce(0) { $0 + 2 + $1 }
    }

    /// The encoded size of this batch.
    public var encodedSize: Int {
        Self.encodedSize(packetLengths: self.frames.lazy.map(\.readableBytes))
    }

    /// Appends the encoded batch to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.kind)
        buffer.writeInteger(UInt8(self.frames.count))
        buffer.writeInteger(self.firstSequence)
        buffer.writeInteger(self.captureTimeMicros)
        for frame in self.frames {
            precondition((1...OpusPacket.maximumLength).contains(frame.readableBytes), "packet of 1…1275 bytes")
            buffer.writeInteger(UInt16(frame.readableBytes))
            buffer.writeImmutableBuffer(frame)
        }
    }

    /// Decodes one whole batch; the buffer must hold exactly one batch.
    ///
    /// - Throws: ``AudioBatchError`` for anything malformed; nothing a peer sends can trap.
    public static func decode(_ buffer: ByteBuffer, limit: Int = .max) throws(AudioBatchError) -> AudioBatch {
        let header = try AudioBatchHeader.decode(buffer, limit: limit)
        var reader = buffer
        reader.moveReaderIndex(forwardBy: headerSize)
        var frames: [ByteBuffer] = []
        frames.reserveCapacity(Int(header.frameCount))
        for index in 0..<Int(header.frameCount) {
            guard let length = reader.readInteger(as: UInt16.self) else {
                throw .truncatedFrame(index: index)
            }
            guard length >= 1 && Int(length) <= OpusPacket.maximumLength else {
                throw .invalidPacketLength(index: index, length: Int(length))
            }
            guard let packet = reader.readSlice(length: Int(length)) else {
                throw .truncatedFrame(index: index)
            }
            frames.append(packet)
        }
        guard reader.readableBytes == 0 else {
            throw .trailingBytes(count: reader.readableBytes)
        }
        return AudioBatch(
            firstSequence: header.firstSequence,
            captureTimeMicros: header.captureTimeMicros,
            frames: frames
        )
    }
}
