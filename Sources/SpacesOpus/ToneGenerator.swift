#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates a continuous sine tone as interleaved 16-bit PCM.
public struct ToneGenerator: Sendable {
    /// Tone frequency in Hz.
    public let frequency: Double
    /// Samples per second per channel.
    public let sampleRate: Int
    /// Number of interleaved channels; every channel carries the same tone.
    public let channels: Int
    /// Peak level as a fraction of full scale, 0...1.
    public let amplitude: Double

    private var phase = 0.0
    private let phaseStep: Double

    /// Creates a generator starting at phase zero.
    ///
    /// - Precondition: `sampleRate > 0`, `channels >= 1`, `frequency >= 0`, `amplitude` in 0...1.
    public init(frequency: Double, sampleRate: Int, channels: Int, amplitude: Double = 0.5) {
        precondition(sampleRate > 0, "sample rate must be positive")
        precondition(channels >= 1, "at least one channel is required")
        precondition(frequency >= 0 && frequency.isFinite, "frequency must be finite and non-negative")
        precondition((0...1).contains(amplitude), "amplitude must be within 0...1")
        self.frequency = frequency
        self.sampleRate = sampleRate
        self.channels = channels
        self.amplitude = amplitude
        phaseStep = 2 * Double.pi * frequency / Double(sampleRate)
    }

    /// The next `frameSamples` samples per channel, interleaved, continuing the phase of the previous call.
    public mutating func next(frameSamples: Int) -> [Int16] {
        precondition(frameSamples >= 0, "frameSamples must not be negative")
        let scale = amplitude * Double(Int16.max)
        var output: [Int16] = []
        output.reserveCapacity(frameSamples * channels)
        for _ in 0..<frameSamples {
            let value = Int16((sin(phase) * scale).rounded())
            for _ in 0..<channels {
                output.append(value)
            }
            phase += phaseStep
            if phase >= 2 * Double.pi {
                phase = phase.truncatingRemainder(dividingBy: 2 * Double.pi)
            }
        }
        return output
    }
}
