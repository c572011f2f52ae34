import FuzzDriver
import SpacesCore

/// A listener's text message: any bytes (invalid JSON, invalid UTF-8, deep nesting, huge
/// numbers) get a named refusal or an event, never a trap.
func fuzzClientEvent(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    do {
        _ = try ClientEvent.parse(bytes)
    } catch {
        precondition(!error.code.isEmpty && !error.message.isEmpty, "every refusal is named")
    }
    return 0
}

runFuzzer(fuzzClientEvent)
