import Testing
@testable import SLBCert

/// The one rule for expiry monitoring: days left rounded down, "within D days" as fewer than D left.
@Suite struct ExpiryTests {
    static let day: Int64 = 86_400_000
    static let now: Int64 = 1_800_000_000_000

    func certificate(_ id: String, expiresIn milliseconds: Int64) -> ServerCertificate {
        var certificate = ServerCertificate()
        certificate.serverCertificateId = id
        certificate.expireTimeStamp = Self.now + milliseconds
        return certificate
    }

    @Test("days left are whole days, rounded down, negative once expired", arguments: [
        (Int64(9 * 86_400_000 + 43_200_000), Int64(9)), (86_400_000, 1), (86_399_999, 0), (0, 0), (-1, -1), (-86_400_000, -1),
        (-86_400_001, -2),
    ] as [(Int64, Int64)])
    func daysLeft(milliseconds: Int64, days: Int64) {
        #expect(Expiry.daysLeft(certificate("x", expiresIn: milliseconds), now: Self.now) == days)
    }

    @Test("extreme timestamps from the service do not trap")
    func extremes() {
        var far = ServerCertificate()
        far.expireTimeStamp = .max
        #expect(Expiry.daysLeft(far, now: .min) > 0)
        far.expireTimeStamp = .min
        #expect(Expiry.daysLeft(far, now: .max) < 0)
    }

    @Test("expiring: fewer days left than the threshold, expired included, soonest first")
    func expiring() throws {
        let all = [certificate("late", expiresIn: 40 * Self.day), certificate("soon", expiresIn: 3 * Self.day),
                   certificate("gone", expiresIn: -2 * Self.day), certificate("edge", expiresIn: 30 * Self.day)]
        #expect(try Expiry.expiring(all, within: 30, now: Self.now).map(\.serverCertificateId) == ["gone", "soon"])
        #expect(try Expiry.expiring(all, within: 31, now: Self.now).map(\.serverCertificateId) == ["gone", "soon", "edge"])
        #expect(try Expiry.expiring(all, within: 0, now: Self.now).map(\.serverCertificateId) == ["gone"])
        #expect { _ = try Expiry.expiring(all, within: 36_501, now: Self.now) } throws: { ($0 as? SLBCertError)?.reason == .settingOutOfRange }
        #expect { _ = try Expiry.expiring(all, within: -1, now: Self.now) } throws: { ($0 as? SLBCertError)?.argument == "within" }
    }

    @Test("the monitoring states", arguments: [(Int64(40), Expiry.State.ok), (20, .warning), (5, .critical), (-1, .critical)])
    func states(days: Int64, state: Expiry.State) throws {
        let report = try Expiry.check([certificate("a", expiresIn: days * Self.day + 1), certificate("b", expiresIn: 90 * Self.day)],
                                      warningDays: 30, criticalDays: 7, now: Self.now)
        #expect(report.state == state && report.soonestDays == days)
        #expect(report.expiring.count == (state == .ok ? 0 : 1))
    }

    @Test("no certificate at all is OK with no soonest, and critical above warning is refused")
    func edges() throws {
        let empty = try Expiry.check([], warningDays: 30, criticalDays: 7, now: Self.now)
        #expect(empty.state == .ok && empty.soonestDays == nil)
        #expect { _ = try Expiry.check([], warningDays: 7, criticalDays: 30, now: Self.now) } throws: { ($0 as? SLBCertError)?.argument == "critical" }
    }
}
