import XCTest

@testable import SpacesLoad

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads a document with `XMLParser`, keeping element names, attributes and text.
final class XMLProbe: NSObject, XMLParserDelegate {
    private(set) var elements: [(name: String, attributes: [String: String])] = []
    private(set) var text = ""
    private(set) var error: Error?
    private(set) var parsed = false

    init(_ document: String) {
        super.init()
        let parser = XMLParser(data: Data(document.utf8))
        parser.delegate = self
        self.parsed = parser.parse()
        self.error = self.error ?? parser.parserError
    }

    func count(_ name: String) -> Int { self.elements.filter { $0.name == name }.count }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        self.elements.append((elementName, attributeDict))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        self.text += string
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        self.error = parseError
    }
}

final class SVGChartTests: XCTestCase {
    private func points(_ values: [Double]) -> [SVGChart.Point] {
        values.enumerated().map { SVGChart.Point(x: Double($0.offset), y: $0.element) }
    }

    private func assertWellFormed(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> XMLProbe {
        let probe = XMLProbe(svg)
        XCTAssertTrue(probe.parsed, "not well-formed: \(String(describing: probe.error))", file: file, line: line)
        XCTAssertNil(probe.error, file: file, line: line)
        XCTAssertEqual(probe.elements.first?.name, "svg", file: file, line: line)
        XCTAssertEqual(probe.elements.first?.attributes["xmlns"], "http://www.w3.org/2000/svg", file: file, line: line)
        XCTAssertEqual(probe.elements.first?.attributes["role"], "img", file: file, line: line)
        XCTAssertEqual(probe.elements.dropFirst().first?.name, "title", file: file, line: line)
        XCTAssertTrue(svg.hasPrefix("<svg "), file: file, line: line)
        XCTAssertTrue(svg.hasSuffix("</svg>"), file: file, line: line)
        return probe
    }

    func testOneLinePerSeriesAndALegend() {
        let chart = SVGChart(
            title: "Latency",
            xLabel: "seconds",
            yLabel: "ms",
            series: [
                .init(name: "p50", points: self.points([10, 12, 11, 30]), color: "#1f77b4"),
                .init(name: "p99", points: self.points([40, 80, 55, 120]), color: "#d62728"),
            ]
        )
        let svg = chart.render()
        let probe = self.assertWellFormed(svg)
        XCTAssertEqual(probe.count("polyline") + probe.count("path"), 2)
        XCTAssertEqual(probe.elements.first?.attributes["width"], "720")
        XCTAssertEqual(probe.elements.first?.attributes["height"], "260")
        let polylines = probe.elements.filter { $0.name == "polyline" }
        XCTAssertEqual(polylines.map { $0.attributes["stroke"] }, ["#1f77b4", "#d62728"])
        XCTAssertEqual(polylines.first?.attributes["points"]?.split(separator: " ").count, 4)
        XCTAssertTrue(probe.text.contains("p50"))
        XCTAssertTrue(probe.text.contains("p99"))
        XCTAssertTrue(probe.text.contains("seconds"))
        XCTAssertTrue(probe.text.contains("ms"))
    }

    func testPointsMapIntoThePlotArea() throws {
        let chart = SVGChart(
            title: "t", xLabel: "x", yLabel: "y",
            series: [.init(name: "a", points: self.points([0, 50, 100]), color: "black")]
        )
        let probe = XMLProbe(chart.render(width: 400, height: 200))
        let points = try XCTUnwrap(probe.elements.first { $0.name == "polyline" }?.attributes["points"])
        let pairs = points.split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
        XCTAssertEqual(pairs.count, 3)
        for pair in pairs {
            XCTAssertTrue((0...400).contains(pair[0]) && (0...200).contains(pair[1]), "\(pair)")
        }
        XCTAssertLessThan(pairs[0][0], pairs[2][0], "x grows to the right")
        XCTAssertGreaterThan(pairs[0][1], pairs[2][1], "y grows upwards")
    }

    func testTickLabelsAreRound() {
        let chart = SVGChart(
            title: "t", xLabel: "x", yLabel: "y",
            series: [.init(name: "a", points: self.points([3, 97]), color: "black")]
        )
        let probe = XMLProbe(chart.render())
        XCTAssertEqual(SVGChart.ticks(lower: 0, upper: 97), [0, 20, 40, 60, 80, 100])
        let unit = SVGChart.ticks(lower: 0, upper: 1)
        XCTAssertEqual(unit.count, 6)
        for (tick, expected) in zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1]) { XCTAssertEqual(tick, expected, accuracy: 1e-9) }
        XCTAssertEqual(SVGChart.labels(SVGChart.ticks(lower: 0, upper: 1)), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(SVGChart.labels([0, 20_000, 40_000]), ["0", "20k", "40k"])
        XCTAssertEqual(SVGChart.labels([0, 5_000, 10_000]), ["0", "5k", "10k"])
        XCTAssertEqual(SVGChart.labels([0, 50_000_000]), ["0", "50M"])
        for (lower, upper) in [(0.0, 7.3), (-3.0, 12.0), (1_000.0, 1_001.0), (0.0, 0.004), (5.0, 5.0), (0.0, 0.0)] {
            let ticks = SVGChart.ticks(lower: lower, upper: upper)
            XCTAssertGreaterThanOrEqual(ticks.count, 2, "\(lower)…\(upper)")
            XCTAssertLessThanOrEqual(ticks.first ?? .infinity, lower)
            XCTAssertGreaterThanOrEqual(ticks.last ?? -.infinity, upper)
            XCTAssertLessThan(ticks.first ?? 0, ticks.last ?? 0)
        }
        XCTAssertTrue(probe.text.contains("100"), "the y axis ends at a round 100")
    }

    func testEmptyChartAndEmptySeries() {
        let noSeries = SVGChart(title: "Nothing", xLabel: "x", yLabel: "y", series: [])
        let probe = self.assertWellFormed(noSeries.render())
        XCTAssertEqual(probe.count("polyline"), 0)
        XCTAssertFalse(noSeries.render().contains("NaN"))

        let emptySeries = SVGChart(
            title: "Nothing yet", xLabel: "x", yLabel: "y",
            series: [.init(name: "a", points: [], color: "red"), .init(name: "b", points: [], color: "blue")]
        )
        let svg = emptySeries.render()
        XCTAssertEqual(self.assertWellFormed(svg).count("polyline"), 2)
        XCTAssertFalse(svg.contains("NaN"))
        XCTAssertFalse(svg.contains("inf"))
    }

    func testSinglePoint() {
        let chart = SVGChart(
            title: "One", xLabel: "x", yLabel: "y",
            series: [.init(name: "a", points: [.init(x: 7, y: 42)], color: "red")]
        )
        let svg = chart.render()
        let probe = self.assertWellFormed(svg)
        XCTAssertEqual(probe.count("polyline"), 1)
        XCTAssertEqual(probe.count("circle"), 1, "a lone point is drawn as a dot")
        XCTAssertFalse(svg.contains("NaN"))
        XCTAssertFalse(svg.contains("inf"))
    }

    func testAllZeroAndNonFiniteData() {
        let chart = SVGChart(
            title: "Zeros", xLabel: "x", yLabel: "y",
            series: [
                .init(name: "a", points: self.points([0, 0, 0]), color: "red"),
                .init(name: "b", points: [.init(x: 1, y: .nan), .init(x: .infinity, y: 1)], color: "blue"),
            ]
        )
        let svg = chart.render()
        let probe = self.assertWellFormed(svg)
        XCTAssertEqual(probe.count("polyline"), 2)
        XCTAssertFalse(svg.contains("NaN"))
        XCTAssertFalse(svg.contains("nan"))
        XCTAssertFalse(svg.contains("inf"))
        let zeros = probe.elements.first { $0.name == "polyline" }?.attributes["points"] ?? ""
        XCTAssertEqual(zeros.split(separator: " ").count, 3)
    }

    func testTinySizeStillRenders() {
        let chart = SVGChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: self.points([1, 2]), color: "red")])
        let probe = self.assertWellFormed(chart.render(width: 10, height: 10))
        XCTAssertEqual(probe.elements.first?.attributes["width"], "240")
    }

    func testEscaping() {
        let chart = SVGChart(
            title: "p99 <1s & \"fast\" 'ok'",
            xLabel: "t < 5",
            yLabel: "a & b",
            series: [.init(name: "<script>", points: self.points([1, 2]), color: "\"red\"")]
        )
        let svg = chart.render()
        let probe = self.assertWellFormed(svg)
        XCTAssertFalse(svg.contains("<script>"))
        XCTAssertTrue(svg.contains("p99 &lt;1s &amp; &quot;fast&quot; &#39;ok&#39;"))
        XCTAssertEqual(probe.elements.first?.attributes["aria-label"], "p99 <1s & \"fast\" 'ok'")
        XCTAssertTrue(probe.text.contains("p99 <1s & \"fast\" 'ok'"))
        XCTAssertTrue(probe.text.contains("<script>"))
        XCTAssertEqual(probe.elements.first { $0.name == "polyline" }?.attributes["stroke"], "\"red\"")
        XCTAssertEqual(SVGChart.escape("a\u{0}b\u{1B}c\td"), "a\u{FFFD}b\u{FFFD}c\td")
    }
}
