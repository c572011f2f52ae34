import NIOCore

/// The figures of the simulated listeners of one event loop: touched on that loop only, so the
/// hot path (a batch arriving) takes no lock. The worker merges the loops' reports at the end.
final class LoopRecorder {
    let eventLoop: any EventLoop
    let start: NIODeadline
    var report = LoadReport()
    /// Admitted listeners connected now, and connections waiting now.
    var connected = 0
    var waiting = 0
    /// Ids of the questions this loop's listeners asked lately, for its upvoters (a ring).
    var recentQuestions: [String] = []
    private var nextQuestionSlot = 0
    static let recentQuestionsKept = 64

    func rememberQuestion(_ id: String) {
        if self.recentQuestions.count < Self.recentQuestionsKept {
            self.recentQuestions.append(id)
        } else {
            self.recentQuestions[self.nextQuestionSlot] = id
            self.nextQuestionSlot = (self.nextQuestionSlot + 1) % Self.recentQuestionsKept
        }
    }

    /// (time of the first `waiting` answer, time admitted) of listeners admitted from a line.
    var admissionsFromLine: [(enteredLine: NIODeadline, admitted: NIODeadline)] = []

    init(eventLoop: any EventLoop, start: NIODeadline) {
        self.eventLoop = eventLoop
        self.start = start
        self.report.workers = 0
    }

    /// The timeline entry of the current second.
    func second(_ now: NIODeadline = .now()) -> Int {
        max(0, Int((now - self.start).nanoseconds / 1_000_000_000))
    }

    func withSecond(_ now: NIODeadline = .now(), _ body: (inout LoadReport.Second) -> Void) {
        let index = self.second(now)
        if self.report.timeline.last?.second != index {
            self.report.timeline.append(LoadReport.Second(second: index))
        }
        body(&self.report.timeline[self.report.timeline.count - 1])
    }

    /// Records the live counts into the current second (called once a second).
    func sample() {
        let connected = self.connected
        let waiting = self.waiting
        self.withSecond { second in
            second.connected = connected
            second.waiting = waiting
        }
    }

    /// Closes the books: counts of admissions out of line order.
    func finish() -> LoadReport {
        let ordered = self.admissionsFromLine.sorted { $0.admitted < $1.admitted }
        var inversions = 0
        for pair in zip(ordered, ordered.dropFirst()) where pair.0.enteredLine > pair.1.enteredLine {
            inversions += 1
        }
        self.report.admittedOutOfOrder = inversions
        return self.report
    }
}

@available(*, unavailable)
extension LoopRecorder: Sendable {}
