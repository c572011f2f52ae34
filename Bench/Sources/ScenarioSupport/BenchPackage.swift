import Foundation

/// The bench package's folder, found from this source file's location at build time: the
/// scenarios are built and run from their checkout.
public enum BenchPackage {
    public static var directory: URL? {
        let bench = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // ScenarioSupport
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // the bench package
        let manifest = bench.appendingPathComponent("Package.swift").path
        return FileManager.default.fileExists(atPath: manifest) ? bench : nil
    }

    /// The main package's release build of `product` (`../.build/release/NAME` from here).
    public static func releaseProduct(_ product: String) -> String {
        guard let bench = self.directory else { return "../.build/release/\(product)" }
        return bench.deletingLastPathComponent().appendingPathComponent(".build/release/\(product)").standardized.path
    }
}
