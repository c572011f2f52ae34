import NIOCore
import SpacesCore

/// Audio batches shaped like what a host sends: Opus voice frames of 20 ms.
public enum SampleBatch {
    /// 80 bytes: one 20 ms Opus frame at 32 kbit/s, a typical voice bitrate.
    public static let frameBytes = 80

    /// A batch of `frames` packets of `frameBytes` each, with fixed, recognisable contents.
    public static func make(frames: Int, frameBytes: Int = SampleBatch.frameBytes) -> AudioBatch {
        let packets = (0..<frames).map { index in
            ByteBuffer(bytes: (0..<frameBytes).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) })
        }
        return AudioBatch(firstSequence: 1_000, captureTimeMicros: 1_763_683_200_000_000, frames: packets)
    }

    /// The batch encoded alone, as a host sends it and as a WebSocket frame carries it.
    public static func encoded(_ batch: AudioBatch) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(batch.encodedSize)
        batch.encode(into: &buffer)
        return buffer
    }
}
