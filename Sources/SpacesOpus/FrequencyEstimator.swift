#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Estimates the frequency of the strongest spectral component of a signal.
public enum FrequencyEstimator {
    /// At most this many samples per channel (taken from the middle of the input) are analysed.
    public static let maxAnalysisSamples = 65_536

    /// The frequency in Hz with the most energy, or 0 for silence or very short input.
    ///
    /// Channels are mixed to mono and the mean removed. A Hann-windowed FFT finds the
    /// strongest bin, then a golden-section search on the windowed spectrum (evaluated
    /// with the Goertzel recurrence) refines it to a small fraction of a hertz for a
    /// clean tone of a second or more.
    ///
    /// - Parameters:
    ///   - samples: Interleaved samples.
    ///   - sampleRate: Samples per second per channel.
    ///   - channels: Number of interleaved channels.
    public static func dominantFrequency(_ samples: [Int16], sampleRate: Int, channels: Int = 1) -> Double {
        precondition(sampleRate > 0, "sample rate must be positive")
        precondition(channels >= 1, "at least one channel is required")
        let frames = samples.count / channels
        guard frames >= 8 else { return 0 }
        let length = min(frames, maxAnalysisSamples)
        let start = (frames - length) / 2

        var signal = [Double](repeating: 0, count: length)
        samples.withUnsafeBufferPointer { input in
            for index in 0..<length {
                var sum = 0
                let base = (start + index) * channels
                for channel in 0..<channels {
                    sum += Int(input[base + channel])
                }
                signal[index] = Double(sum) / Double(channels)
            }
        }
        let mean = signal.reduce(0, +) / Double(length)
        for index in 0..<length {
            let window = 0.5 - 0.5 * cos(2 * Double.pi * Double(index) / Double(length - 1))
            signal[index] = (signal[index] - mean) * window
        }

        var size = 1
        while size < length { size <<= 1 }
        var real = signal + [Double](repeating: 0, count: size - length)
        var imaginary = [Double](repeating: 0, count: size)
        transform(&real, &imaginary)

        var peak = 0
        var peakPower = 0.0
        for bin in 1..<size / 2 {
            let power = real[bin] * real[bin] + imaginary[bin] * imaginary[bin]
            if power > peakPower {
                peakPower = power
                peak = bin
            }
        }
        guard peakPower > 0 else { return 0 }

        let binWidth = Double(sampleRate) / Double(size)
        return signal.withUnsafeBufferPointer { windowed in
            refine(windowed, sampleRate: Double(sampleRate),
                   low: Double(peak - 1) * binWidth, high: Double(peak + 1) * binWidth)
        }
    }

    /// Golden-section search for the maximum of the spectrum between `low` and `high` Hz.
    private static func refine(
        _ signal: UnsafeBufferPointer<Double>,
        sampleRate: Double,
        low: Double,
        high: Double
    ) -> Double {
        let ratio = (sqrt(5.0) - 1) / 2
        var a = low
        var b = high
        var c = b - ratio * (b - a)
        var d = a + ratio * (b - a)
        var powerC = power(signal, frequency: c, sampleRate: sampleRate)
        var powerD = power(signal, frequency: d, sampleRate: sampleRate)
        for _ in 0..<28 {
            if powerC > powerD {
                b = d
                d = c
                powerD = powerC
                c = b - ratio * (b - a)
                powerC = power(signal, frequency: c, sampleRate: sampleRate)
            } else {
                a = c
                c = d
                powerC = powerD
                d = a + ratio * (b - a)
                powerD = power(signal, frequency: d, sampleRate: sampleRate)
            }
        }
        return (a + b) / 2
    }

    /// Squared magnitude of the signal's spectrum at `frequency`, by the Goertzel recurrence.
    private static func power(_ signal: UnsafeBufferPointer<Double>, frequency: Double, sampleRate: Double) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / sampleRate)
        var previous = 0.0
        var beforePrevious = 0.0
        for value in signal {
            let current = value + coefficient * previous - beforePrevious
            beforePrevious = previous
            previous = current
        }
        return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
    }

    /// In-place iterative radix-2 FFT; the length must be a power of two.
    private static func transform(_ real: inout [Double], _ imaginary: inout [Double]) {
        let size = real.count
        guard size > 1 else { return }
        var cosines = [Double](repeating: 0, count: size / 2)
        var sines = [Double](repeating: 0, count: size / 2)
        for index in 0..<size / 2 {
            let angle = -2 * Double.pi * Double(index) / Double(size)
            cosines[index] = cos(angle)
            sines[index] = sin(angle)
        }
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                var target = 0
                for index in 1..<size {
                    var bit = size >> 1
                    while target & bit != 0 {
                        target ^= bit
                        bit >>= 1
                    }
                    target |= bit
                    if index < target {
                        re.swapAt(index, target)
                        im.swapAt(index, target)
                    }
                }
                var span = 2
                while span <= size {
                    let half = span / 2
                    let stride = size / span
                    var blockStart = 0
                    while blockStart < size {
                        for offset in 0..<half {
                            let wr = cosines[offset * stride]
                            let wi = sines[offset * stride]
                            let upper = blockStart + offset
                            let lower = upper + half
                            let xr = re[lower] * wr - im[lower] * wi
                            let xi = re[lower] * wi + im[lower] * wr
                            re[lower] = re[upper] - xr
                            im[lower] = im[upper] - xi
                            re[upper] += xr
                            im[upper] += xi
                        }
                        blockStart += span
                    }
                    span <<= 1
                }
            }
        }
    }
}
