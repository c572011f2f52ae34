import NIOCore

/// Counts the server frames in a WebSocket byte stream without decoding them: the cheapest
/// reader a benchmark client can be, so that its own cost stays small beside the server's.
///
/// Frames may be split across reads anywhere, headers included. Server frames are unmasked,
/// but a mask is skipped if present. For binary frames (audio batches) it also adds up the
/// batch's frame-count byte (offset 1 of the payload), so delivered 20 ms frames can be counted.
public struct WebSocketFrameCounter: Sendable {
    public private(set) var textFrames = 0
    public private(set) var binaryFrames = 0
    public private(set) var closeFrames = 0
    public private(set) var otherFrames = 0
    /// Payload bytes of binary frames.
    public private(set) var binaryPayloadBytes = 0
    /// The sum of the frame-count byte of every binary payload: 20 ms audio frames received.
    public private(set) var audioFrames = 0

    private var header: [UInt8] = []
    private var headerSize = 2
    private var opcode: UInt8 = 0
    private var remaining = 0
    private var offset = 0

    public init() {
        self.header.reserveCapacity(14)
    }

    /// Reads `buffer`'s readable bytes; returns the audio frames they completed the count of.
    @discardableResult
    public mutating func consume(_ buffer: ByteBuffer) -> Int {
        let before = self.audioFrames
        buffer.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < bytes.count {
                if self.remaining > 0 {
                    let take = min(self.remaining, bytes.count - index)
                    if self.opcode == 0x2 && self.offset <= 1 && self.offset + take > 1 {
                        self.audioFrames += Int(bytes[index + 1 - self.offset])
                    }
                    self.offset += take
                    self.remaining -= take
                    index += take
                    continue
                }
                self.header.append(bytes[index])
                index += 1
                if self.header.count == 2 {
                    let length = self.header[1] & 0x7F
                    self.headerSize = 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + (self.header[1] & 0x80 != 0 ? 4 : 0)
                }
                if self.header.count >= 2 && self.header.count == self.headerSize {
                    self.startPayload()
                }
            }
        }
        return self.audioFrames - before
    }

    private mutating func startPayload() {
        var length = Int(self.header[1] & 0x7F)
        if length == 126 {
            length = Int(self.header[2]) << 8 | Int(self.header[3])
        } else if length == 127 {
            length = (2..<10).reduce(0) { $0 << 8 | Int(self.header[$1]) }
        }
        self.opcode = self.header[0] & 0x0F
        switch self.opcode {
        case 0x1: self.textFrames += 1
        case 0x2:
            self.binaryFrames += 1
            self.binaryPayloadBytes += length
        case 0x8: self.closeFrames += 1
        default: self.otherFrames += 1
        }
        self.remaining = length
        self.offset = 0
        self.header.removeAll(keepingCapacity: true)
        self.headerSize = 2
    }
}
