/// The OpusTags comment header, the second packet of an Ogg Opus stream (RFC 7845, section 5.2).
struct OpusTags: Equatable {
    static let magic = "OpusTags"

    /// The encoder vendor string.
    var vendor: String
    /// User comments, conventionally "NAME=value".
    var comments: [String] = []

    init(vendor: String, comments: [String] = []) {
        self.vendor = vendor
        self.comments = comments
    }

    /// Parses a comment header packet.
    init(parsing packet: [UInt8]) throws {
        guard packet.matches(Self.magic, at: 0) else { throw OggOpusError.missingTags }
        var offset = 8
        func string() throws -> String {
            guard let length = packet.uint32LE(at: offset) else { throw OggOpusError.missingTags }
            offset += 4
            guard Int(length) <= packet.count - offset else { throw OggOpusError.missingTags }
            let text = String(decoding: packet[offset..<offset + Int(length)], as: UTF8.self)
            offset += Int(length)
            return text
        }
        let vendor = try string()
        guard let count = packet.uint32LE(at: offset) else { throw OggOpusError.missingTags }
        offset += 4
        // Each comment needs at least its 4-byte length, which bounds a hostile count.
        guard Int(count) <= (packet.count - offset) / 4 else { throw OggOpusError.missingTags }
        var comments: [String] = []
        for _ in 0..<count {
            comments.append(try string())
        }
        self.vendor = vendor
        self.comments = comments
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendASCII(Self.magic)
        let vendorBytes = Array(vendor.utf8)
        bytes.appendUInt32LE(UInt32(vendorBytes.count))
        bytes.append(contentsOf: vendorBytes)
        bytes.appendUInt32LE(UInt32(comments.count))
        for comment in comments {
            let commentBytes = Array(comment.utf8)
            bytes.appendUInt32LE(UInt32(commentBytes.count))
            bytes.append(contentsOf: commentBytes)
        }
        return bytes
    }
}
