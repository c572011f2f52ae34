// Admission: admission decisions per second, in process, with the project's AdmissionController
// (the struct the node runs under one lock for every join), beside a dictionary insert and
// remove of the same size measured in the same run. See SCENARIOS.md.

#if canImport(Glibc)
import Glibc
#endif
import ScenarioSupport
import SpacesCore

let usage = """
    Usage: Admission [--repetitions R] [--sizes 1000,10000,50000] [--json PATH]

    Times AdmissionController decisions on this thread (thread CPU clock), R repetitions each,
    and reports the median ns per decision:
      admit      joins admitted at once, with the Space already holding N listeners
      wait       joins into the waiting room (the Space is full), the room growing 0 → 20,000
      refuse     joins refused because that room is full
      churn      join + leave pairs at 10,000 listeners, with a tick every 1,000 operations
    Baseline, same run: one insert and one remove in a Dictionary<UInt64, UInt64> holding as
    many entries as the scenario's listeners or waiting connections.

      --repetitions  default 5 (the median is reported)
      --sizes        listeners already admitted for `admit`, default 1000,10000,50000
      --json         where to write the figures, default Bench/results/Admission.json
    """
let options = Options(known: ["repetitions", "sizes", "json"], usage: usage)
let repetitions = options.int("repetitions", default: 5)
let sizes = options.string("sizes", default: "1000,10000,50000").split(separator: ",").compactMap { Int($0) }
let jsonPath = options.string("json", default: ResultFile.defaultPath(name: "Admission"))
guard repetitions > 0, !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { Options.fail("repetitions and sizes must be positive") }

func fail(_ message: String) -> Never {
    printError("Admission: FAILED: \(message)")
    exit(1)
}

let waitingRoomSize = 20_000
let churnListeners = 10_000

/// A controller with one open Space and its test clock (one microsecond per decision); the
/// join rate and the node never limit.
struct Driver {
    var controller: AdmissionController
    var now: UInt64 = 1
    var nextConnection: UInt64 = 0

    init(capacity: Int) {
        self.controller = AdmissionController(
            configuration: .init(
                nodeCapacity: .max, joinsPerSecond: 1e12, joinBurst: 1e12, waitingRoomSize: waitingRoomSize, resumeGraceMicros: 30_000_000
            ),
            nowMicros: 0
        )
        self.controller.open(spaceID: "bench", capacity: capacity)
    }

    /// A fresh arrival.
    @inline(never)
    mutating func join() -> AdmissionController.Decision {
        self.now += 1
        self.nextConnection += 1
        return self.controller.join(spaceID: "bench", connection: self.nextConnection, arrivalMicros: self.now, nowMicros: self.now).decision
    }

    /// A clean goodbye (the slot is freed at once).
    @inline(never)
    mutating func leave(_ connection: UInt64) {
        self.now += 1
        self.controller.leave(spaceID: "bench", connection: connection, listenerID: connection, hold: false, nowMicros: self.now)
    }

    mutating func tick() -> (admitted: [AdmissionController.Admission], updates: [AdmissionController.PositionUpdate]) {
        self.controller.tick(nowMicros: self.now)
    }

    var admitted: Int { self.controller.admitted(spaceID: "bench") }
}

/// Thread CPU and wall nanoseconds of `body`, which makes `operations` decisions.
struct Sample {
    var cpuNanosPerOperation: Double
    var wallNanosPerOperation: Double
}

func time(operations: Int, _ body: () -> Void) -> Sample {
    let wall = CPUClock.wall()
    let cpu = CPUClock.thread()
    body()
    let cpuEnd = CPUClock.thread()
    let wallEnd = CPUClock.wall()
    return Sample(
        cpuNanosPerOperation: Double(cpuEnd - cpu) / Double(operations), wallNanosPerOperation: Double(wallEnd - wall) / Double(operations)
    )
}

// MARK: Baseline

/// One insert and one remove in a dictionary of `size` entries, per pair.
func dictionaryBaseline(size: Int) -> [Sample] {
    var dictionary: [UInt64: UInt64] = [:]
    for key in 0..<UInt64(size) { dictionary[key] = key }
    let pairs = 200_000
    var key = UInt64(size)
    return (0..<repetitions).map { _ in
        time(operations: pairs) {
            for _ in 0..<pairs {
                dictionary[key] = key
                dictionary[key - UInt64(size)] = nil
                key += 1
            }
        }
    }.also { precondition(dictionary.count == size) }
}

extension Array {
    func also(_ body: () -> Void) -> Array {
        body()
        return self
    }
}

// MARK: Scenarios

/// Joins admitted at once into a Space already holding `size` listeners.
func admitAtOnce(size: Int) -> [Sample] {
    var driver = Driver(capacity: .max)
    for _ in 0..<size {
        guard case .admitted = driver.join() else { fail("a join into an open Space was not admitted") }
    }
    let joins = 1_000
    return (0..<repetitions).map { _ in
        var admitted: [UInt64] = []
        admitted.reserveCapacity(joins)
        let sample = time(operations: joins) {
            for _ in 0..<joins {
                guard case .admitted(let admission) = driver.join() else { fail("a join into an open Space was not admitted") }
                admitted.append(admission.connection)
            }
        }
        // Back to `size` for the next repetition (not timed).
        for connection in admitted {
            driver.leave(connection)
        }
        guard driver.admitted == size else { fail("leaves did not free the slots") }
        return sample
    }
}

/// Joins into the waiting room of a full Space (room growing 0 → 20,000), then joins refused
/// because the room is full.
func waitingRoom() -> (wait: [Sample], refuse: [Sample]) {
    var wait: [Sample] = []
    var refuse: [Sample] = []
    for _ in 0..<repetitions {
        var driver = Driver(capacity: 1_000)
        for _ in 0..<1_000 {
            guard case .admitted = driver.join() else { fail("a join into an open Space was not admitted") }
        }
        wait.append(time(operations: waitingRoomSize) {
            for expected in 1...waitingRoomSize {
                guard case .waiting(let position, _) = driver.join(), position == expected else { fail("a join into a full Space did not wait at position \(expected)") }
            }
        })
        refuse.append(time(operations: waitingRoomSize) {
            for _ in 0..<waitingRoomSize {
                guard case .refused = driver.join() else { fail("a join into a full waiting room was not refused") }
            }
        })
    }
    return (wait, refuse)
}

/// Join + leave pairs at a steady `churnListeners`, a tick every 1,000 operations.
func churn() -> [Sample] {
    var driver = Driver(capacity: .max)
    var present: [UInt64] = []
    present.reserveCapacity(churnListeners)
    for _ in 0..<churnListeners {
        guard case .admitted(let admission) = driver.join() else { fail("a join into an open Space was not admitted") }
        present.append(admission.connection)
    }
    var oldest = 0
    let operations = 10_000
    return (0..<repetitions).map { _ in
        time(operations: operations) {
            for operation in stride(from: 0, to: operations, by: 2) {
                guard case .admitted(let admission) = driver.join() else { fail("a churn join was not admitted") }
                let leaving = present[oldest]
                present[oldest] = admission.connection
                oldest = (oldest + 1) % churnListeners
                driver.leave(leaving)
                if (operation + 2) % 1_000 == 0 {
                    let (admitted, updates) = driver.tick()
                    guard admitted.isEmpty, updates.isEmpty else { fail("a tick with nobody waiting moved the line") }
                }
            }
        }
    }.also {
        guard driver.admitted == churnListeners else { fail("churn changed the listener count") }
    }
}

// MARK: Run

struct Row: Codable {
    var scenario: String
    var occupancy: String
    var nanosPerDecision: Double
    var decisionsPerSecond: Double
    var wallNanosPerDecision: Double
    var baselineEntries: Int
    var baselineNanosPerPair: Double
    var ratioToBaseline: Double
    var samplesCPUNanos: [Double]
}

/// One row per scenario, each beside the dictionary baseline of its size (measured once per size).
struct Results {
    var rows: [Row] = []
    private var baselines: [Int: Double] = [:]

    mutating func add(_ scenario: String, occupancy: String, _ samples: [Sample], baselineEntries: Int) {
        let reference = self.baselines[baselineEntries] ?? median(dictionaryBaseline(size: baselineEntries).map(\.cpuNanosPerOperation))
        self.baselines[baselineEntries] = reference
        let cpu = median(samples.map(\.cpuNanosPerOperation))
        self.rows.append(Row(
            scenario: scenario, occupancy: occupancy, nanosPerDecision: cpu, decisionsPerSecond: 1e9 / cpu,
            wallNanosPerDecision: median(samples.map(\.wallNanosPerOperation)), baselineEntries: baselineEntries,
            baselineNanosPerPair: reference, ratioToBaseline: cpu / reference, samplesCPUNanos: samples.map(\.cpuNanosPerOperation)
        ))
    }
}

var results = Results()
printError("Admission: AdmissionController decisions on one thread, median of \(repetitions)")
for size in sizes {
    results.add("admit", occupancy: "\(grouped(size)) listeners", admitAtOnce(size: size), baselineEntries: size)
}
let (wait, refuse) = waitingRoom()
results.add("wait", occupancy: "room 0 → \(grouped(waitingRoomSize))", wait, baselineEntries: waitingRoomSize)
results.add("refuse", occupancy: "room full (\(grouped(waitingRoomSize)))", refuse, baselineEntries: waitingRoomSize)
results.add("churn", occupancy: "\(grouped(churnListeners)) listeners", churn(), baselineEntries: churnListeners)

// MARK: Report

let rows = results.rows
let first = rows[0]
let last = rows[sizes.count - 1]
print(
    "Admission: \(grouped(Int(first.decisionsPerSecond))) admissions/s at \(first.occupancy) but \(grouped(Int(last.decisionsPerSecond)))/s at \(last.occupancy) (\(fixed(last.nanosPerDecision / 1000, 1)) µs each, \(fixed(last.ratioToBaseline, 0))× a dictionary insert+remove of that size); waiting-room joins \(fixed(rows[sizes.count].nanosPerDecision / 1000, 1)) µs, churn \(fixed(rows[sizes.count + 2].nanosPerDecision / 1000, 1)) µs per decision"
)
var table = TextTable(["scenario", "occupancy", "ns/decision", "decisions/s", "baseline ns/pair", "× baseline"])
for row in rows {
    table.add([
        row.scenario, row.occupancy, grouped(Int(row.nanosPerDecision.rounded())), grouped(Int(row.decisionsPerSecond)),
        fixed(row.baselineNanosPerPair, 0) + " (\(grouped(row.baselineEntries)))", fixed(row.ratioToBaseline, 1) + "×",
    ])
}
print(table.rendered)

struct Report: Codable {
    var benchmark = "Admission"
    var date: String
    var command: String
    var repetitions: Int
    var clock = "thread CPU time; decisions/s = 1e9 / ns per decision, on one core"
    var baseline = "Dictionary<UInt64, UInt64>: one insert + one remove, holding baselineEntries entries, same run"
    var rows: [Row]
}
do {
    try ResultFile.write(Report(date: ResultFile.today, command: ResultFile.commandLine, repetitions: repetitions, rows: rows), to: jsonPath)
    printError("figures written to \(jsonPath)")
} catch {
    fail("cannot write \(jsonPath): \(error)")
}
