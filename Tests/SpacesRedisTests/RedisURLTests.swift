import SpacesRedis
import XCTest

final class RedisURLTests: XCTestCase {
    func testParsesHostPortCredentialsAndDatabase() throws {
        XCTAssertEqual(try RedisURL("redis://127.0.0.1:6380"), RedisURL(host: "127.0.0.1", port: 6380))
        XCTAssertEqual(try RedisURL("redis://redis.internal"), RedisURL(host: "redis.internal", port: 6379))
        XCTAssertEqual(try RedisURL("redis://:s3cret@h:1/2"), RedisURL(host: "h", port: 1, password: "s3cret", database: 2))
        XCTAssertEqual(try RedisURL("redis://ops:pw@h"), RedisURL(host: "h", username: "ops", password: "pw"))
        XCTAssertEqual(try RedisURL("redis://[::1]:7000/"), RedisURL(host: "::1", port: 7000))
    }

    func testRejectsWhatIsNotARedisURL() {
        for text in ["http://h:1", "redis://", "redis://h:0", "redis://h:99999", "redis://h:x", "redis://h/x", "redis://[::1"] {
            XCTAssertThrowsError(try RedisURL(text), text)
        }
    }

    func testDescriptionHidesThePassword() throws {
        XCTAssertEqual(try RedisURL("redis://ops:pw@h:1").description, "redis://ops:***@h:1")
        XCTAssertEqual(try RedisURL("redis://[::1]:7000/3").description, "redis://[::1]:7000/3")
    }
}
