import Foundation

/// Request bodies' numbers that must be integers: the decoder alone takes `1.0` or `1e6` for an
/// `Int`, and a number in another spelling is a client's mistake to point out, not to guess at.
enum JSONIntegers {
    /// Throws 400 for the first of `keys` in `data`'s JSON object written with a fraction or an
    /// exponent.
    static func require(_ keys: [String], in data: Data) throws(APIError) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        for key in keys {
            guard let number = object[key] as? NSNumber else { continue }
            let type = String(cString: number.objCType)
            if type == "d" || type == "f" { throw APIError(.badRequest, "\(key) must be an integer, written without a fraction or exponent") }
        }
    }
}
