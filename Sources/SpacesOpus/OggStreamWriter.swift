import COgg

/// Packs the packets of one logical Ogg bitstream into pages (RFC 3533) with libogg.
final class OggStreamWriter {
    private let stream: UnsafeMutablePointer<ogg_stream_state>
    private var packetNumber: Int64 = 0

    init(serialNumber: Int32) throws {
        stream = .allocate(capacity: 1)
        guard ogg_stream_init(stream, serialNumber) == 0 else {
            stream.deallocate()
            throw OggOpusError.libogg(function: "ogg_stream_init")
        }
    }

    deinit {
        ogg_stream_clear(stream)
        stream.deallocate()
    }

    /// Adds a packet and returns the bytes of the pages it completes.
    ///
    /// - Parameters:
    ///   - granulePosition: Granule position at the end of this packet.
    ///   - endOfStream: Marks the packet as the last of the stream.
    ///   - flush: Ends the current page after this packet.
    func append(
        _ packet: [UInt8],
        granulePosition: Int64,
        endOfStream: Bool = false,
        flush: Bool = false
    ) throws -> [UInt8] {
        var body = packet
        let number = packetNumber
        let stream = self.stream
        let status = body.withUnsafeMutableBufferPointer { buffer in
            var oggPacket = ogg_packet()
            oggPacket.packet = buffer.baseAddress
            oggPacket.bytes = buffer.count
            oggPacket.b_o_s = number == 0 ? 1 : 0
            oggPacket.e_o_s = endOfStream ? 1 : 0
            oggPacket.granulepos = granulePosition
            oggPacket.packetno = number
            return ogg_stream_packetin(stream, &oggPacket)
        }
        guard status == 0 else { throw OggOpusError.libogg(function: "ogg_stream_packetin") }
        packetNumber += 1
        return flush || endOfStream ? flushedPages() : readyPages()
    }

    /// Pages that libogg considers full.
    private func readyPages() -> [UInt8] {
        collect { ogg_stream_pageout(stream, &$0) }
    }

    /// All buffered data, as one or more pages.
    private func flushedPages() -> [UInt8] {
        collect { ogg_stream_flush(stream, &$0) }
    }

    private func collect(_ next: (inout ogg_page) -> Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var page = ogg_page()
        while next(&page) != 0 {
            bytes.append(contentsOf: UnsafeBufferPointer(start: page.header, count: page.header_len))
            bytes.append(contentsOf: UnsafeBufferPointer(start: page.body, count: page.body_len))
        }
        return bytes
    }
}
