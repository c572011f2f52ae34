/// Who may listen to a Space.
public enum SpaceAccess: String, Codable, Sendable, CaseIterable {
    /// Anyone with its listen URL (and it is listed by `GET /v1/spaces`).
    case open
    /// Only holders of a signed invite (`?invite=`), checked before the upgrade; not listed.
    case invite
}
