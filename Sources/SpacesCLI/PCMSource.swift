import Foundation
import SpacesOpus

/// Interleaved 16-bit PCM, read 20 ms at a time.
protocol PCMSource {
    var sampleRate: Int { get }
    var channels: Int { get }
    /// The next `frameSamples` samples per channel; shorter at the end (padded by the caller),
    /// nil when done.
    mutating func next(frameSamples: Int) throws -> [Int16]?
}

/// A sine tone, for a bounded or unbounded time.
struct TonePCMSource: PCMSource {
    let sampleRate: Int
    let channels: Int
    private var generator: ToneGenerator
    private var remaining: Int?

    init(frequency: Double, sampleRate: Int = 48_000, channels: Int = 1, seconds: Double?) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.generator = ToneGenerator(frequency: frequency, sampleRate: sampleRate, channels: channels)
        self.remaining = seconds.map { Int($0 * Double(sampleRate)) }
    }

    mutating func next(frameSamples: Int) -> [Int16]? {
        if let remaining { guard remaining > 0 else { return nil } }
        let count = min(frameSamples, self.remaining ?? frameSamples)
        self.remaining = self.remaining.map { $0 - count }
        return self.generator.next(frameSamples: count)
    }
}

/// The generated voice-like signal of the demo, for a bounded or unbounded time.
struct VoicePCMSource: PCMSource {
    let sampleRate = 48_000
    let channels = 1
    private var signal = VoiceLikeSignal(sampleRate: 48_000, channels: 1)
    private var remaining: Int?

    init(seconds: Double?) {
        self.remaining = seconds.map { Int($0 * 48_000) }
    }

    mutating func next(frameSamples: Int) -> [Int16]? {
        if let remaining { guard remaining > 0 else { return nil } }
        let count = min(frameSamples, self.remaining ?? frameSamples)
        self.remaining = self.remaining.map { $0 - count }
        return self.signal.next(frameSamples: count)
    }
}

/// A PCM WAV file, already read into memory.
struct WAVPCMSource: PCMSource {
    let file: WAVFile
    private var position = 0
    var sampleRate: Int { self.file.sampleRate }
    var channels: Int { self.file.channels }

    init(path: String) throws {
        self.file = try WAVFile.read(path: path)
    }

    mutating func next(frameSamples: Int) -> [Int16]? {
        guard self.position < self.file.samples.count else { return nil }
        let end = min(self.position + frameSamples * self.channels, self.file.samples.count)
        defer { self.position = end }
        return Array(self.file.samples[self.position..<end])
    }
}

/// Raw signed 16-bit little-endian PCM from standard input (`arecord`, `ffmpeg -f s16le`).
struct StdinPCMSource: PCMSource {
    let sampleRate: Int
    let channels: Int
    private let handle = FileHandle.standardInput

    init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    mutating func next(frameSamples: Int) throws -> [Int16]? {
        let wanted = frameSamples * self.channels * 2
        var data = Data()
        while data.count < wanted {
            guard let chunk = try self.handle.read(upToCount: wanted - data.count), !chunk.isEmpty else { break }
            data.append(chunk)
        }
        guard data.count >= 2 else { return nil }
        return stride(from: 0, to: data.count - 1, by: 2).map { i in
            Int16(bitPattern: UInt16(data[data.startIndex + i]) | UInt16(data[data.startIndex + i + 1]) << 8)
        }
    }
}
