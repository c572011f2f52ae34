#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic, speech-like test signal for demos and codec tests.
///
/// A harmonic series with a 1/k (glottal-pulse-like) slope and a pitch gliding
/// between about 120 and 220 Hz is shaped by three vowel formants that change
/// every syllable. Syllables last 250 ms (about 4 per second), each starting with a
/// short noise burst and ending in a brief gap; every eighth syllable is a pause.
/// The output depends only on the sample position, so two instances with the same
/// parameters produce identical audio.
public struct VoiceLikeSignal: Sendable {
    /// Samples per second per channel.
    public let sampleRate: Int
    /// Number of interleaved channels; every channel carries the same signal.
    public let channels: Int
    /// Upper bound on the peak level as a fraction of full scale.
    public let amplitude: Double

    private static let syllableSeconds = 0.25
    private static let syllablesPerPhrase = 8
    private static let voicedFraction = 0.8
    private static let burstFraction = 0.06
    private static let noiseLevel = 0.08
    /// Formant frequencies (F1, F2, F3) in Hz for the vowels /a/, /e/, /i/, /o/, /u/.
    private static let vowels: [(Double, Double, Double)] = [
        (730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410), (300, 870, 2240),
    ]

    private var position = 0
    private var phase = 0.0
    private var noise: UInt32 = 0x2545_F491
    private var weights: [Double] = []
    private var phaseStep = 0.0
    private var blockRemaining = 0
    private let blockSamples: Int

    /// Creates a generator positioned at the start of the signal.
    ///
    /// - Precondition: `sampleRate >= 8000`, `channels >= 1`, `amplitude` in 0...1.
    public init(sampleRate: Int, channels: Int, amplitude: Double = 0.5) {
        precondition(sampleRate >= 8000, "sample rate must be at least 8000 Hz")
        precondition(channels >= 1, "at least one channel is required")
        precondition((0...1).contains(amplitude), "amplitude must be within 0...1")
        self.sampleRate = sampleRate
        self.channels = channels
        self.amplitude = amplitude
        blockSamples = max(1, sampleRate / 400)
    }

    /// The next `frameSamples` samples per channel, interleaved.
    public mutating func next(frameSamples: Int) -> [Int16] {
        precondition(frameSamples >= 0, "frameSamples must not be negative")
        let rate = Double(sampleRate)
        let syllableLength = Self.syllableSeconds * rate
        let scale = amplitude * Double(Int16.max) / (1 + Self.noiseLevel)
        var output: [Int16] = []
        output.reserveCapacity(frameSamples * channels)

        for _ in 0..<frameSamples {
            if blockRemaining == 0 { startBlock() }
            blockRemaining -= 1

            let syllablePosition = Double(position) / syllableLength
            let syllable = Int(syllablePosition)
            let progress = syllablePosition - Double(syllable)
            let isPause = syllable % Self.syllablesPerPhrase == Self.syllablesPerPhrase - 1

            var value = 0.0
            if !isPause && progress < Self.voicedFraction {
                let envelope = sin(Double.pi * progress / Self.voicedFraction)
                // sin(k·φ) for k = 1, 2, ... by the Chebyshev recurrence.
                let twoCos = 2 * cos(phase)
                var previous = 0.0
                var current = sin(phase)
                for weight in weights {
                    value += weight * current
                    let following = twoCos * current - previous
                    previous = current
                    current = following
                }
                value *= envelope
                if progress < Self.burstFraction {
                    value += Self.noiseLevel * (1 - progress / Self.burstFraction) * nextNoise()
                }
            }
            let sample = Int16((value * scale).rounded())
            for _ in 0..<channels {
                output.append(sample)
            }

            phase += phaseStep
            if phase >= 2 * Double.pi { phase -= 2 * Double.pi }
            position += 1
        }
        return output
    }

    /// Recomputes pitch and harmonic weights for the next 2.5 ms block.
    private mutating func startBlock() {
        blockRemaining = blockSamples
        let rate = Double(sampleRate)
        let time = Double(position) / rate
        let pitch = 170 + 38 * sin(2 * Double.pi * 0.37 * time) + 12 * sin(2 * Double.pi * 0.11 * time + 1)
        phaseStep = 2 * Double.pi * pitch / rate

        let syllable = Int(time / Self.syllableSeconds)
        let vowel = Self.vowels[(syllable * 3 + syllable / 5) % Self.vowels.count]
        let formants = [(vowel.0, 90.0, 1.0), (vowel.1, 110.0, 0.6), (vowel.2, 160.0, 0.3)]
        let highest = min(4000, 0.45 * rate)
        let harmonics = Int(highest / pitch)

        weights.removeAll(keepingCapacity: true)
        var total = 0.0
        for k in 1...max(1, harmonics) {
            let frequency = Double(k) * pitch
            var gain = 0.05
            for (center, bandwidth, level) in formants {
                let detune = (frequency - center) / (bandwidth / 2)
                gain += level / (1 + detune * detune)
            }
            let weight = gain / Double(k)
            weights.append(weight)
            total += weight
        }
        // Normalise so the harmonic sum can never exceed 1.
        for index in weights.indices {
            weights[index] /= total
        }
    }

    /// Uniform noise in -1...1 from a 32-bit xorshift generator.
    private mutating func nextNoise() -> Double {
        noise ^= noise << 13
        noise ^= noise >> 17
        noise ^= noise << 5
        return Double(noise) / Double(UInt32.max) * 2 - 1
    }
}
