/// The audio format of a Space, announced in `welcome` and `publishing`.
///
/// v1 carries Opus only, at 48 kHz (Opus's internal rate; every decoder can output it) in
/// 20 ms frames, mono or stereo.
public struct Codec: Codable, Sendable, Equatable {
    public var name: String
    public var sampleRate: Int
    public var channels: Int
    public var frameDurationMs: Int

    public init(channels: Int) {
        precondition(channels == 1 || channels == 2, "1 or 2 channels")
        self.name = "opus"
        self.sampleRate = 48_000
        self.channels = channels
        self.frameDurationMs = 20
    }
}
