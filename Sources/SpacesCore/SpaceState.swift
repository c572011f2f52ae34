/// The life of a Space: live from creation until the host ends it. Ended is final.
public enum SpaceState: String, Codable, Sendable {
    case live
    case ended
}
