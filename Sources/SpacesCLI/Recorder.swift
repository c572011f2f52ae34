import NIOCore
import SpacesCore
import SpacesOpus

/// Writes what a listener hears: Ogg Opus as received (no re-encoding) or WAV decoded with
/// libopus, with lost frames concealed.
final class Recorder {
    private enum Sink {
        case ogg(OggOpusWriter)
        case wav(path: String, decoder: OpusDecoder, samples: [Int16])
    }

    private var sink: Sink?
    private let path: String
    private var expected: UInt32?
    private var channels = 1

    init(path: String) throws {
        let lower = path.lowercased()
        guard lower.hasSuffix(".ogg") || lower.hasSuffix(".opus") || lower.hasSuffix(".wav") else {
            throw RecorderError.unknownFormat(path)
        }
        self.path = path
    }

    /// Opens the output once the codec is known (from `welcome`).
    func start(codec: Codec) throws {
        guard self.sink == nil else { return }
        self.channels = codec.channels
        if self.path.lowercased().hasSuffix(".wav") {
            self.sink = .wav(path: self.path, decoder: try OpusDecoder(sampleRate: 48_000, channels: codec.channels), samples: [])
        } else {
            self.sink = .ogg(try OggOpusWriter(path: self.path, channels: codec.channels))
        }
    }

    func record(_ batch: AudioBatch) throws {
        guard let sink = self.sink else { return }
        switch sink {
        case .ogg(let writer):
            for frame in batch.frames { try writer.write(packet: Array(frame.readableBytesView)) }
        case .wav(let path, let decoder, var samples):
            self.sink = nil  // keep `samples` uniquely referenced while appending
            if let expected = self.expected {
                let lost = Int(Int32(bitPattern: batch.firstSequence &- expected))
                if lost > 0 {
                    for _ in 0..<min(lost, 250) { samples += try decoder.decodeLost(frameSamples: 960) }
                }
            }
            for frame in batch.frames { samples += try decoder.decode(Array(frame.readableBytesView)) }
            self.sink = .wav(path: path, decoder: decoder, samples: samples)
        }
        self.expected = batch.firstSequence &+ UInt32(batch.frames.count)
    }

    func finish() throws {
        switch self.sink {
        case .ogg(let writer): try writer.close()
        case .wav(let path, _, let samples): try WAVFile.write(path: path, sampleRate: 48_000, channels: self.channels, samples: samples)
        case nil: break
        }
        self.sink = nil
    }
}

enum RecorderError: Error, CustomStringConvertible {
    case unknownFormat(String)
    var description: String {
        switch self {
        case .unknownFormat(let path): "\(path): --out takes a .ogg, .opus or .wav file"
        }
    }
}
