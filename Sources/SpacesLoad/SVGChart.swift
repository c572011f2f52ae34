import Foundation

/// A small line chart rendered as a standalone SVG element, with no dependencies.
///
/// Axes get round tick values (steps of 1, 2 or 5 times a power of ten); the y axis always
/// includes zero. Points that are not finite are left out. An empty chart, a single point and
/// all-zero data all render (on a default 0…1 range), so a short run still gets its page.
public struct SVGChart: Sendable, Equatable {
    /// One data point.
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// One line, drawn in `color` (any SVG paint, such as `#1f77b4`) and named in the legend.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var points: [Point]
        public var color: String

        public init(name: String, points: [Point], color: String) {
            self.name = name
            self.points = points
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The chart as one `<svg>` element with `role="img"` and a `<title>`, `width` × `height`
    /// pixels (at least 240 × 140, below which the plot has no room).
    public func render(width: Int = 720, height: Int = 260) -> String {
        let width = max(240, width)
        let height = max(140, height)
        let plot = (left: 64.0, right: Double(width) - 16, top: 46.0, bottom: Double(height) - 42)

        let points = self.series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xTicks = Self.ticks(lower: points.map(\.x).min() ?? 0, upper: points.map(\.x).max() ?? 1)
        let yTicks = Self.ticks(lower: min(0, points.map(\.y).min() ?? 0), upper: max(0, points.map(\.y).max() ?? 1))
        let xDomain = (xTicks.first!, xTicks.last!)
        let yDomain = (yTicks.first!, yTicks.last!)
        func px(_ x: Double) -> Double {
            plot.left + (x - xDomain.0) / (xDomain.1 - xDomain.0) * (plot.right - plot.left)
        }
        func py(_ y: Double) -> Double {
            plot.bottom - (y - yDomain.0) / (yDomain.1 - yDomain.0) * (plot.bottom - plot.top)
        }

        let title = Self.escape(self.title)
        var svg: [String] = []
        svg.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
                + "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(title)\" "
                + "font-family=\"sans-serif\" font-size=\"11\">"
        )
        svg.append("<title>\(title)</title>")
        svg.append("<desc>\(Self.escape(self.summary))</desc>")
        svg.append("<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>")
        svg.append("<text x=\"\(Self.f(plot.left))\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(title)</text>")

        // Grid and tick labels.
        svg.append("<g stroke=\"#e4e4e4\" stroke-width=\"1\">")
        for tick in yTicks {
            svg.append("<line x1=\"\(Self.f(plot.left))\" y1=\"\(Self.f(py(tick)))\" x2=\"\(Self.f(plot.right))\" y2=\"\(Self.f(py(tick)))\"/>")
        }
        for tick in xTicks {
            svg.append("<line x1=\"\(Self.f(px(tick)))\" y1=\"\(Self.f(plot.top))\" x2=\"\(Self.f(px(tick)))\" y2=\"\(Self.f(plot.bottom))\"/>")
        }
        svg.append("</g>")
        svg.append("<g fill=\"#444444\">")
        for (tick, label) in zip(yTicks, Self.labels(yTicks)) {
            svg.append(
                "<text x=\"\(Self.f(plot.left - 6))\" y=\"\(Self.f(py(tick) + 4))\" text-anchor=\"end\">\(label)</text>"
            )
        }
        for (tick, label) in zip(xTicks, Self.labels(xTicks)) {
            svg.append(
                "<text x=\"\(Self.f(px(tick)))\" y=\"\(Self.f(plot.bottom + 15))\" text-anchor=\"middle\">\(label)</text>"
            )
        }
        svg.append(
            "<text x=\"\(Self.f((plot.left + plot.right) / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\">"
                + "\(Self.escape(self.xLabel))</text>"
        )
        svg.append(
            "<text transform=\"rotate(-90)\" x=\"\(Self.f(-(plot.top + plot.bottom) / 2))\" y=\"14\" "
                + "text-anchor=\"middle\">\(Self.escape(self.yLabel))</text>"
        )
        svg.append("</g>")

        // Axes.
        svg.append(
            "<g stroke=\"#444444\" stroke-width=\"1\">"
                + "<line x1=\"\(Self.f(plot.left))\" y1=\"\(Self.f(plot.bottom))\" x2=\"\(Self.f(plot.right))\" y2=\"\(Self.f(plot.bottom))\"/>"
                + "<line x1=\"\(Self.f(plot.left))\" y1=\"\(Self.f(plot.top))\" x2=\"\(Self.f(plot.left))\" y2=\"\(Self.f(plot.bottom))\"/>"
                + "</g>"
        )

        // Lines: one polyline per series (empty for a series without points), plus a dot for a lone point.
        for series in self.series {
            let color = Self.escape(series.color)
            let drawn = series.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
            let coordinates = drawn.map { "\(Self.f(px($0.x))),\(Self.f(py($0.y)))" }.joined(separator: " ")
            svg.append(
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" stroke-linejoin=\"round\" "
                    + "points=\"\(coordinates)\"><title>\(Self.escape(series.name))</title></polyline>"
            )
            if drawn.count == 1, let only = drawn.first {
                svg.append("<circle cx=\"\(Self.f(px(only.x)))\" cy=\"\(Self.f(py(only.y)))\" r=\"3\" fill=\"\(color)\"/>")
            }
        }

        // Legend, in one row under the title.
        svg.append("<g>")
        var x = plot.left
        for series in self.series {
            svg.append("<rect x=\"\(Self.f(x))\" y=\"28\" width=\"12\" height=\"4\" fill=\"\(Self.escape(series.color))\"/>")
            svg.append("<text x=\"\(Self.f(x + 16))\" y=\"34\">\(Self.escape(series.name))</text>")
            x += 16 + Double(series.name.count) * 6.5 + 18
        }
        svg.append("</g>")
        svg.append("</svg>")
        return svg.joined(separator: "\n")
    }

    /// A sentence for screen readers: the series and their ranges.
    var summary: String {
        guard !self.series.isEmpty else { return "\(self.title): no data." }
        let parts = self.series.map { series -> String in
            let ys = series.points.map(\.y).filter(\.isFinite)
            guard let low = ys.min(), let high = ys.max() else { return "\(series.name): no data" }
            return "\(series.name): \(ys.count) points from \(SummaryTable.number(low)) to \(SummaryTable.number(high))"
        }
        return "\(self.yLabel) against \(self.xLabel). " + parts.joined(separator: "; ") + "."
    }

    /// Round tick values covering `lower…upper`: about five, a step of 1, 2 or 5 × 10ⁿ, the first
    /// at or below `lower` and the last at or above `upper`. A zero-width range is widened.
    static func ticks(lower: Double, upper: Double, count: Int = 5) -> [Double] {
        var lower = lower.isFinite ? lower : 0
        var upper = upper.isFinite ? upper : 1
        if upper < lower { swap(&lower, &upper) }
        if upper == lower {
            let pad = lower == 0 ? 1 : Swift.abs(lower) / 10
            lower -= lower == 0 ? 0 : pad
            upper += pad
        }
        let range = self.nice(upper - lower, round: false)
        let step = self.nice(range / Double(max(1, count - 1)), round: true)
        guard step.isFinite, step > 0 else { return [lower, upper] }
        let first = (lower / step).rounded(.down) * step
        let last = (upper / step).rounded(.up) * step
        let intervals = max(1, min(100, Int(((last - first) / step).rounded())))
        return (0...intervals).map { first + Double($0) * step }
    }

    /// The 1, 2, 5 or 10 × 10ⁿ nearest to `value` (`round`) or at or above it.
    private static func nice(_ value: Double, round: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = Foundation.floor(Foundation.log10(value))
        let power = Foundation.pow(10, exponent)
        let fraction = value / power
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * power
    }

    /// Tick labels with as many decimals as the step needs; when the largest is 10 000 or more,
    /// all are shown in thousands (`k`) or millions (`M`) alike.
    static func labels(_ ticks: [Double]) -> [String] {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let largest = ticks.map { Swift.abs($0) }.max() ?? 0
        let (scale, suffix): (Double, String) =
            largest >= 10_000_000 && step >= 1_000_000 ? (1_000_000, "M")
            : largest >= 10_000 && step >= 1_000 ? (1_000, "k") : (1, "")
        let scaledStep = step / scale
        let decimals = scaledStep >= 1 ? 0 : min(9, Int((-Foundation.log10(scaledStep) - 1e-9).rounded(.up)))
        return ticks.map { tick in
            var text = String(format: "%.\(decimals)f", tick / scale)
            if text.hasPrefix("-"), Double(text) == 0 { text.removeFirst() }
            return tick == 0 ? "0" : text + suffix
        }
    }

    /// A coordinate with one decimal.
    private static func f(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    /// Text made safe for XML content and quoted attributes; characters XML cannot hold
    /// (controls other than tab, newline and return) become U+FFFD.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
