import Foundation

/// A load run as one standalone HTML page: verdicts, figures and four charts over time.
///
/// The page has inline CSS, no script and no external resources, so it can be mailed or archived
/// as one file. It is written as well-formed XML (every tag closed, every attribute quoted, no
/// named entities) so tools can read it as XHTML too.
public enum HTMLReport {
    /// Line colours: blue, orange, red, green, as in most chart palettes (and told apart by the
    /// legend's names, not by colour alone).
    static let colors = ["#1f77b4", "#ff7f0e", "#d62728", "#2ca02c"]

    /// The page, for a run described by `title` and started by `command`, dated `date` (now by default).
    public static func render(
        _ report: LoadReport,
        verdicts: [ServiceLevelObjective.Verdict],
        title: String,
        command: String,
        date: Date = Date()
    ) -> String {
        let escape = SVGChart.escape
        var html: [String] = []
        html.append("<!DOCTYPE html>")
        html.append("<html lang=\"en\" xmlns=\"http://www.w3.org/1999/xhtml\">")
        html.append("<head>")
        html.append("<meta charset=\"utf-8\"/>")
        html.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>")
        html.append("<title>\(escape(title))</title>")
        html.append("<style>\(self.style)</style>")
        html.append("</head>")
        html.append("<body>")
        html.append("<main>")
        html.append("<h1>\(escape(title))</h1>")
        html.append("<dl class=\"run\">")
        html.append("<dt>Command</dt><dd><code>\(escape(command))</code></dd>")
        html.append("<dt>Date</dt><dd><time datetime=\"\(self.isoDate(date))\">\(self.readableDate(date))</time></dd>")
        html.append("<dt>Duration</dt><dd>\(SummaryTable.number(report.durationSeconds)) s</dd>")
        html.append("</dl>")

        html.append("<section>")
        html.append("<h2>Objectives</h2>")
        if verdicts.isEmpty {
            html.append("<p>No objectives were given.</p>")
        } else {
            let failed = verdicts.filter { !$0.passed }.count
            let outcome = failed == 0 ? "pass" : "fail"
            let sentence = failed == 0 ? "All \(verdicts.count) objectives met." : "\(failed) of \(verdicts.count) objectives failed."
            html.append("<p class=\"outcome \(outcome)\">\(sentence)</p>")
            html.append("<ul class=\"verdicts\">")
            for verdict in verdicts {
                let verdictClass = verdict.passed ? "pass" : "fail"
                html.append(
                    "<li class=\"\(verdictClass)\"><strong>\(verdict.passed ? "PASS" : "FAIL")</strong> "
                        + "\(escape(verdict.line))</li>"
                )
            }
            html.append("</ul>")
        }
        html.append("</section>")

        html.append("<section>")
        html.append("<h2>Summary</h2>")
        for section in SummaryTable.sections(report) {
            html.append(self.table(section))
        }
        html.append("</section>")

        html.append("<section>")
        html.append("<h2>Over time</h2>")
        for (chart, caption) in self.charts(report) {
            html.append("<figure>")
            html.append(chart.render())
            html.append("<figcaption>\(escape(caption))</figcaption>")
            html.append("</figure>")
        }
        html.append("</section>")
        html.append("</main>")
        html.append("</body>")
        html.append("</html>")
        return html.joined(separator: "\n") + "\n"
    }

    /// The four charts from the report's timeline, each with its caption.
    static func charts(_ report: LoadReport) -> [(SVGChart, String)] {
        let timeline = report.timeline
        func line(_ name: String, _ color: Int, _ value: (LoadReport.Second) -> Double?) -> SVGChart.Series {
            let points = timeline.compactMap { second in value(second).map { SVGChart.Point(x: Double(second.second), y: $0) } }
            return SVGChart.Series(name: name, points: points, color: self.colors[color])
        }
        let withAudio: (LoadReport.Second, UInt64) -> Double? = { second, percentile in
            second.latency.total == 0 ? nil : Double(percentile) / 1_000
        }
        return [
            (
                SVGChart(
                    title: "Listeners",
                    xLabel: "seconds since start",
                    yLabel: "connections",
                    series: [
                        line("connected", 0) { Double($0.connected) },
                        line("waiting", 1) { Double($0.waiting) },
                    ]
                ),
                "Listeners admitted and connections in a waiting room at the end of each second."
            ),
            (
                SVGChart(
                    title: "Audio latency",
                    xLabel: "seconds since start",
                    yLabel: "ms",
                    series: [
                        line("p50", 0) { withAudio($0, $0.latency.percentile(50)) },
                        line("p99", 2) { withAudio($0, $0.latency.percentile(99)) },
                    ]
                ),
                "Audio latency (arrival minus capture time) per second, p50 and p99 in milliseconds, "
                    + "read from logarithmic buckets (within about 19 %); seconds without audio are left out."
            ),
            (
                SVGChart(
                    title: "Audio frames",
                    xLabel: "seconds since start",
                    yLabel: "frames per second",
                    series: [
                        line("received", 0) { Double($0.framesReceived) },
                        line("lost", 2) { Double($0.framesLost) },
                    ]
                ),
                "Audio frames received and lost, per second, over all listeners."
            ),
            (
                SVGChart(
                    title: "Join answers",
                    xLabel: "seconds since start",
                    yLabel: "answers per second",
                    series: [
                        line("admitted", 3) { Double($0.admitted) },
                        line("waiting", 1) { Double($0.waitingAnswers) },
                        line("refused", 2) { Double($0.refused) },
                        line("failed", 0) { Double($0.failed) },
                    ]
                ),
                "Answers to joins per second: admitted, told to wait, refused by HTTP, and failed connections."
            ),
        ]
    }

    /// A summary section as a table with a caption, column headers and row headers.
    private static func table(_ section: SummaryTable.Section) -> String {
        let escape = SVGChart.escape
        var html = ["<table>", "<caption>\(escape(section.title))</caption>"]
        if let header = section.header {
            let cells = header.enumerated().map { index, text in
                index == 0 ? "<td></td>" : "<th scope=\"col\">\(escape(text))</th>"
            }
            html.append("<thead><tr>\(cells.joined())</tr></thead>")
        }
        html.append("<tbody>")
        for row in section.rows {
            let label = row[0]
            let indented = label.hasPrefix(" ")
            let labelCell =
                "<th scope=\"row\"\(indented ? " class=\"sub\"" : "")>"
                + "\(escape(label.trimmingCharacters(in: .whitespaces)))</th>"
            let cells = row.dropFirst().map { "<td>\(escape($0))</td>" }
            html.append("<tr>\(labelCell)\(cells.joined())</tr>")
        }
        html.append("</tbody>")
        html.append("</table>")
        return html.joined(separator: "\n")
    }

    private static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    private static func readableDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    /// The page's CSS: readable on screen and in print, no `<` or `&` (the page is also XML).
    private static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;margin:0;background:#fafafa}
        main{max-width:780px;margin:0 auto;padding:1.5rem}
        h1{font-size:1.6rem;margin:0 0 .75rem}
        h2{font-size:1.2rem;margin:2rem 0 .75rem;border-bottom:1px solid #ddd;padding-bottom:.25rem}
        dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
        dt{font-weight:600}
        dd{margin:0}
        code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#eee;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
        .outcome{font-weight:600}
        ul.verdicts{list-style:none;padding:0}
        ul.verdicts li{padding:.35rem .6rem;margin:.25rem 0;border-left:4px solid;border-radius:3px;font-family:ui-monospace,Menlo,Consolas,monospace}
        .pass{color:#0b5d1e}
        li.pass{background:#e6f4ea;border-color:#1e8e3e}
        .fail{color:#a50e0e}
        li.fail{background:#fce8e6;border-color:#d93025}
        table{border-collapse:collapse;margin:0 0 1.25rem;min-width:60%}
        caption{text-align:left;font-weight:600;padding:.25rem 0}
        th,td{padding:.2rem .6rem;border-bottom:1px solid #e4e4e4}
        th[scope=row]{text-align:left;font-weight:normal}
        th.sub{padding-left:1.6rem;color:#555}
        td,th[scope=col]{text-align:right;font-variant-numeric:tabular-nums}
        figure{margin:0 0 1.5rem}
        figure svg{max-width:100%;height:auto;border:1px solid #e4e4e4}
        figcaption{font-size:.9rem;color:#555;margin-top:.3rem}
        """
}
