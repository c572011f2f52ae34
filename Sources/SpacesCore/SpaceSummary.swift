/// The identity of a Space as events carry it.
public struct SpaceSummary: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public init(id: String, title: String) {
        self.id = id
        self.title = title
    }
}
