/// The answer to a host action over HTTP: what was done, to what, and the questions it changed
/// as they are now (a pick also moves the previous question on air to `answered`).
public struct HostActionResult: Codable, Sendable, Equatable {
    public var action: String
    public var target: String
    public var questions: [ServerEvent.QuestionItem]
    public init(action: String, target: String, questions: [ServerEvent.QuestionItem]) {
        self.action = action
        self.target = target
        self.questions = questions
    }
}
