import FuzzDriver
import NIOCore
import SpacesCore

/// A host's binary message: the batch parser, the header parser and the Opus packet check must
/// refuse what is malformed with an error, never trap; what decodes encodes back to itself.
func fuzzAudioBatch(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: start, count: count))
    let header = try? AudioBatchHeader.decode(buffer, limit: 64 * 1024)
    guard let batch = try? AudioBatch.decode(buffer, limit: 64 * 1024) else { return 0 }
    precondition(header != nil, "a batch decoded whose header did not")
    precondition(header?.frameCount == UInt8(truncatingIfNeeded: batch.frames.count))
    for frame in batch.frames { _ = try? OpusPacket.validate(frame) }
    var encoded = ByteBuffer()
    batch.encode(into: &encoded)
    let again = try! AudioBatch.decode(encoded)
    precondition(again.firstSequence == batch.firstSequence && again.captureTimeMicros == batch.captureTimeMicros)
    precondition(again.frames == batch.frames, "a decoded batch encodes back to the same frames")
    return 0
}

runFuzzer(fuzzAudioBatch)
