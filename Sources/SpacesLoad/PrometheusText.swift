/// Reads the Prometheus text format far enough to compare a server's metrics before and after.
public enum PrometheusText {
    /// Samples by name with labels (`spaces_admitted_total{kind="fresh"}`); comments skipped,
    /// samples of the same name from several nodes added up.
    public static func parse(_ text: String, prefix: String = "spaces_") -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.hasPrefix(prefix) {
            // The value follows the last space outside the labels.
            let end = line.lastIndex(of: "}") ?? line.startIndex
            guard let space = line[end...].firstIndex(of: " ") else { continue }
            let name = line[..<space].trimmingCharacters(in: .whitespaces)
            let rest = line[line.index(after: space)...].split(separator: " ")
            guard let first = rest.first, let value = Double(first) else { continue }
            samples[name, default: 0] += value
        }
        return samples
    }

    /// Adds samples from several nodes.
    public static func sum(_ parts: [[String: Double]]) -> [String: Double] {
        parts.reduce(into: [:]) { total, part in total.merge(part, uniquingKeysWith: +) }
    }
}
