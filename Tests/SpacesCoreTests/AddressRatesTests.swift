import SpacesCore
import XCTest

final class AddressRatesTests: XCTestCase {
    private func address(_ last: UInt8, _ third: UInt8 = 0) -> SourceAddress {
        SourceAddress(bytes: [198, 51, third, last])!
    }

    func testAnAddressGetsItsBurstThenItsRateAndAnotherAddressIsUntouched() {
        var rates = AddressRates(ratePerSecond: 10, burst: 5)
        let flood = self.address(1)
        let start: UInt64 = 1_000_000_000
        for i in 0..<5 { XCTAssertNil(rates.take(flood, nowMicros: start), "handshake \(i) is within the burst") }
        let wait = rates.take(flood, nowMicros: start)
        XCTAssertEqual(wait, 100_000, "the sixth waits one interval (1/10 s)")
        XCTAssertNil(rates.take(self.address(2), nowMicros: start), "another address has its own bucket")
        // After 100 ms one more, and only one.
        XCTAssertNil(rates.take(flood, nowMicros: start + 100_000))
        XCTAssertNotNil(rates.take(flood, nowMicros: start + 100_000))
        // Over a second at the rate: 10 handshakes, no more.
        var allowed = 0
        for step in 1...100 where rates.take(flood, nowMicros: start + 100_000 + UInt64(step) * 10_000) == nil { allowed += 1 }
        XCTAssertEqual(allowed, 10)
    }

    func testZeroTurnsItOff() {
        var rates = AddressRates(ratePerSecond: 0, burst: 5)
        for _ in 0..<1_000 { XCTAssertNil(rates.take(self.address(1), nowMicros: 1)) }
        XCTAssertEqual(rates.tracked, 0)
    }

    func testTheTableIsBoundedRefilledBucketsAreForgottenAndNewcomersShareOneWhileItIsFull() {
        var rates = AddressRates(ratePerSecond: 1, burst: 2, maxAddresses: 4)
        let start: UInt64 = 5_000_000
        // Four addresses in debt fill the table.
        for n: UInt8 in 1...4 {
            XCTAssertNil(rates.take(self.address(n), nowMicros: start))
            XCTAssertNil(rates.take(self.address(n), nowMicros: start))
            XCTAssertNotNil(rates.take(self.address(n), nowMicros: start))
        }
        XCTAssertEqual(rates.tracked, 4)
        // Newcomers now share one bucket of the same burst: two of them get in, the third waits.
        XCTAssertNil(rates.take(self.address(10), nowMicros: start))
        XCTAssertNil(rates.take(self.address(11), nowMicros: start))
        XCTAssertNotNil(rates.take(self.address(12), nowMicros: start))
        XCTAssertEqual(rates.tracked, 4, "the table never grows past its bound")
        // Once the known buckets have refilled (2 s), they are forgotten and a newcomer gets its own.
        XCTAssertNil(rates.take(self.address(13), nowMicros: start + 3_000_000))
        XCTAssertEqual(rates.tracked, 1)
        XCTAssertNil(rates.take(self.address(13), nowMicros: start + 3_000_000))
        XCTAssertNotNil(rates.take(self.address(13), nowMicros: start + 3_000_000), "its own burst of 2, then its rate")
    }

    func testASweepOfAFullTableHappensAtMostOncePerRefill() {
        var rates = AddressRates(ratePerSecond: 1, burst: 1, maxAddresses: 2)
        XCTAssertNil(rates.take(self.address(1), nowMicros: 10_000_000))
        XCTAssertNil(rates.take(self.address(2), nowMicros: 10_000_000))
        // Full of debt: a newcomer sweeps (nothing to forget) and takes the shared bucket.
        XCTAssertNil(rates.take(self.address(3), nowMicros: 10_000_000))
        // Half a refill later address 1 and 2 are still in debt; no sweep frees anything.
        XCTAssertNotNil(rates.take(self.address(4), nowMicros: 10_500_000))
        XCTAssertEqual(rates.tracked, 2)
        // A whole refill after the sweep, both have refilled and are forgotten.
        XCTAssertNil(rates.take(self.address(4), nowMicros: 11_000_000))
        XCTAssertEqual(rates.tracked, 1)
    }
}
