import COgg

/// Extracts the packets of the first logical bitstream of an Ogg file with libogg.
///
/// Pages of other (multiplexed) streams are skipped. Damaged or truncated input
/// is reported as an ``OggOpusError``.
final class OggStreamReader {
    private static let chunkSize = 65_536

    private let input: [UInt8]
    private var consumed = 0
    private let sync: UnsafeMutablePointer<ogg_sync_state>
    private let stream: UnsafeMutablePointer<ogg_stream_state>
    private var serialNumber: Int32?
    private var endOfStream = false

    /// Prepares to read `bytes`, which must begin with an Ogg page.
    init(bytes: [UInt8]) throws {
        guard bytes.matches("OggS", at: 0) else { throw OggOpusError.notOgg }
        input = bytes
        sync = .allocate(capacity: 1)
        stream = .allocate(capacity: 1)
        ogg_sync_init(sync)
    }

    deinit {
        if serialNumber != nil { ogg_stream_clear(stream) }
        stream.deallocate()
        ogg_sync_clear(sync)
        sync.deallocate()
    }

    /// The next packet of the stream, or nil after its last packet.
    func nextPacket() throws -> [UInt8]? {
        while true {
            if serialNumber != nil {
                var packet = ogg_packet()
                let status = ogg_stream_packetout(stream, &packet)
                if status > 0 {
                    return Array(UnsafeBufferPointer(start: packet.packet, count: packet.bytes))
                }
                if status < 0 {
                    throw OggOpusError.corruptStream("missing page (sequence gap)")
                }
                if endOfStream { return nil }
            }
            try readPage()
        }
    }

    /// Feeds the next page of our stream into libogg.
    private func readPage() throws {
        while true {
            var page = ogg_page()
            let status = ogg_sync_pageout(sync, &page)
            if status < 0 {
                throw OggOpusError.corruptStream("bad page checksum or stray bytes")
            }
            if status == 0 {
                guard try feed() else { throw OggOpusError.truncated }
                continue
            }
            let serial = ogg_page_serialno(&page)
            if serialNumber == nil {
                guard ogg_page_bos(&page) != 0 else {
                    throw OggOpusError.corruptStream("first page is not a beginning-of-stream page")
                }
                guard ogg_stream_init(stream, serial) == 0 else {
                    throw OggOpusError.libogg(function: "ogg_stream_init")
                }
                serialNumber = serial
            } else if serial != serialNumber {
                continue
            }
            guard ogg_stream_pagein(stream, &page) == 0 else {
                throw OggOpusError.corruptStream("page rejected by libogg")
            }
            if ogg_page_eos(&page) != 0 { endOfStream = true }
            return
        }
    }

    /// Hands the next chunk of input to libogg; false when the input is exhausted.
    private func feed() throws -> Bool {
        let count = min(Self.chunkSize, input.count - consumed)
        guard count > 0 else { return false }
        guard let buffer = ogg_sync_buffer(sync, count) else {
            throw OggOpusError.libogg(function: "ogg_sync_buffer")
        }
        input.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + consumed, byteCount: count)
        }
        ogg_sync_wrote(sync, count)
        consumed += count
        return true
    }
}
