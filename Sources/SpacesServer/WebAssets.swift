import Foundation
import NIOHTTP1
import SpacesCore

/// The listener page's files (`Sources/SpacesServer/Web`), read once at start and served as
/// they are: no build step, nothing fetched from elsewhere.
///
/// `GET /` is `home.html`, `GET /s/{id}` is `space.html` (the page reads the id from its own
/// address), `GET /web/{name}` is any other file of the folder. Names are single path segments
/// matched against the files read at start, so nothing outside the folder can be named.
struct WebAssets: Sendable {
    struct File: Sendable {
        let body: String
        let contentType: String
    }

    private let files: [String: File]

    /// The files bundled with the server.
    static let bundled = WebAssets(directory: Self.bundledDirectory())

    /// Where the build put the page's files: `spaces_SpacesServer.resources/Web` beside the
    /// executable (or `SPACES_WEB_ROOT`). Looked up by hand rather than with `Bundle.module`,
    /// which stops the process when the folder is missing (a binary copied without it): then
    /// the node serves everything but the page, which answers 404.
    static func bundledDirectory() -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["SPACES_WEB_ROOT"], !root.isEmpty { return URL(fileURLWithPath: root) }
        let bundle = "spaces_SpacesServer.resources"
        var places = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { places.append(executable.deletingLastPathComponent()) }
        places.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
        for place in places {
            let web = place.appendingPathComponent(bundle).appendingPathComponent("Web")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: web.path, isDirectory: &isDirectory), isDirectory.boolValue { return web }
        }
        return nil
    }

    init(directory: URL?) {
        var files: [String: File] = [:]
        if let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) {
            for name in names where !name.hasPrefix(".") {
                guard let type = Self.contentType(of: name),
                    let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
                    let body = String(data: data, encoding: .utf8)
                else { continue }
                files[name] = File(body: body, contentType: type)
            }
        }
        self.files = files
    }

    var names: [String] { self.files.keys.sorted() }

    /// The answer for a file of the page, or 404. In a cluster (`otherNodes`) the page may also
    /// fetch from other nodes: it probes another node's listen endpoint when its own is lost.
    func answer(_ name: String, otherNodes: Bool = false) -> HTTPAnswer {
        guard let file = self.files[name] else {
            let message = self.files.isEmpty ? "the listener page is not installed beside this executable" : "no such file"
            return HTTPAnswer(APIError(.notFound, message))
        }
        var headers = HTTPHeaders()
        // The page's own files only (no inline script, nothing from elsewhere), its WebSocket (in a
        // cluster, other nodes' probes too), and no framing by other sites.
        let connect = otherNodes ? "'self' ws: wss: http: https:" : "'self' ws: wss:"
        headers.add(
            name: "content-security-policy",
            value: "default-src 'self'; connect-src \(connect); img-src 'self' data:; frame-ancestors 'none'"
        )
        headers.add(name: "x-content-type-options", value: "nosniff")
        return HTTPAnswer(status: .ok, body: file.body, contentType: file.contentType, headers: headers)
    }

    static func contentType(of name: String) -> String? {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        default: nil
        }
    }
}
