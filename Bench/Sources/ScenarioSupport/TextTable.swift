/// A small fixed-width table for a terminal: a header row, then rows; the first column left
/// aligned, the others right aligned.
public struct TextTable {
    public let header: [String]
    public private(set) var rows: [[String]] = []

    public init(_ header: [String]) {
        self.header = header
    }

    public mutating func add(_ row: [String]) {
        precondition(row.count == self.header.count, "a row has one cell per column")
        self.rows.append(row)
    }

    public var rendered: String {
        let all = [self.header] + self.rows
        let widths = self.header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(self.header), rule] + self.rows.map(line)).joined(separator: "\n")
    }
}
