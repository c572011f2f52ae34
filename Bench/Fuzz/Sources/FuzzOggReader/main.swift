import FuzzDriver
import SpacesOpus

/// An Ogg Opus file given to `spaces host start --input`: read or refused, never a trap, and
/// never more packets than the bytes could hold.
func fuzzOggReader(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let reader = try? OggOpusReader(data: Array(UnsafeBufferPointer(start: start, count: count))) else { return 0 }
    var packets = 0
    while let packet = try? reader.nextPacket() {
        packets += 1
        precondition(packets <= count, "more packets than bytes")
        _ = packet
    }
    return 0
}

runFuzzer(fuzzOggReader)
