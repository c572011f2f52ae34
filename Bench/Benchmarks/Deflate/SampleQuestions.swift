import SpacesCore

/// A question-queue update as a busy Space sends it to every listener: ten questions in the
/// top list and one on air, with the text of real questions (60 to 200 characters each).
enum SampleQuestions {
    private static let texts = [
        "How do you decide which listener questions make it on air when hundreds come in during the first ten minutes?",
        "Is Opus at 32 kbit/s really indistinguishable from the studio feed for speech, or do you hear the difference on good headphones?",
        "What happens to people waiting in line when the host's connection drops for a few seconds?",
        "Could you talk about how you moderate abusive questions without slowing down the queue for everyone else?",
        "Why WebSockets instead of WebRTC for the audio?",
        "When you say latency under a second, is that measured from the host's microphone to the listener's speaker, or only across the server?",
        "Do listeners on a slow mobile network get a lower bitrate automatically, and who decides when they go back up?",
        "Would it make sense to let the audience vote on the next topic rather than on single questions, especially in long sessions?",
        "How many listeners can one node hold before you start a second one?",
        "Are recordings of past Spaces kept, and can a listener who joined late rewind to the beginning of the current question?",
        "What was the hardest bug you found while load testing with a hundred thousand simulated listeners on two cores?",
    ]

    /// The `questions` event, as JSON text.
    static func json() -> String {
        let items = Self.texts.enumerated().map { index, text in
            ServerEvent.QuestionItem(
                id: "q" + String(index * 37 + 15, radix: 16), text: text, votes: [214, 187, 166, 129, 97, 88, 61, 40, 33, 21, 12][index],
                state: index == 0 ? Question.State.onAir.rawValue : Question.State.open.rawValue, pinned: index == 3
            )
        }
        return ServerEvent.questions(.init(version: 42, total: 180, onAir: items[0], top: Array(items.dropFirst()))).json()
    }
}
