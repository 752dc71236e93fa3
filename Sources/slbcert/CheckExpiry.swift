import ArgumentParser
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// A check in the monitoring-plugin convention that Nagios, Icinga, Zabbix and Sensu read: one status
/// line with performance data, and the state as the exit status.
struct CheckExpiry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-expiry",
        abstract: "Check how soon the region's certificates expire (a monitoring plugin).",
        discussion: """
        Prints one line, "EXPIRY STATE - message | expiring=N soonest_days=D", and exits with the \\
        state: 0 OK, 1 WARNING (a certificate has fewer than --warning days left), 2 CRITICAL (fewer \\
        than --critical days, or expired), 3 UNKNOWN (the check could not be made: usage, \\
        credentials, the service). The certificates counted are those within --warning.

        Examples:
          slbcert check-expiry --warning 30 --critical 7
          slbcert check-expiry --warning 21 --critical 7 --region cn-hangzhou --json
        """)

    @OptionGroup var service: ServiceOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("WARNING when a certificate has fewer days left than this.", valueName: "days"))
    var warning: Int

    @Option(parsing: .unconditional, help: ArgumentHelp("CRITICAL when a certificate has fewer days left than this (at most --warning).", valueName: "days"))
    var critical: Int

    @Flag(help: "Print JSON instead of the status line.")
    var json = false

    func run() throws {
        let report: Expiry.Report
        do {
            let client = try service.client()
            report = try Expiry.check(client.describe().certificates, warningDays: warning, criticalDays: critical,
                                      now: UTCTime.nowMilliseconds())
        } catch {
            // Every failure of a check is UNKNOWN (3), whatever the CLI's usual exit status would be.
            let worded = CLIWording.apply(Flags.rewordDays(error, flag: "--\(error.argument)"))
            if json {
                Output.json(.object([("Status", .string(Expiry.State.unknown.name)), ("Code", .number(3)),
                                     ("Error", Output.errorObject(worded))]))
            } else {
                print("EXPIRY UNKNOWN - \(worded.message)")
            }
            Output.standardError("slbcert: error: \(worded.description)")
            throw Exit(code: Expiry.State.unknown.rawValue)
        }
        let soonest = report.expiring.first
        if json {
            Output.json(.object([
                ("Status", .string(report.state.name)), ("Code", .number(Double(report.state.rawValue))),
                ("Warning", .number(Double(warning))), ("Critical", .number(Double(critical))),
                ("SoonestDays", report.soonestDays.map { .number(Double($0)) } ?? .null),
                ("Expiring", .array(report.expiring.map {
                    .object([("ServerCertificateId", .string($0.serverCertificateId)), ("ServerCertificateName", .string($0.serverCertificateName)),
                             ("CommonName", .string($0.commonName)), ("ExpireTime", .string($0.expireTime)),
                             ("DaysLeft", .number(Double(Expiry.daysLeft($0, now: report.now))))])
                })),
            ]))
        } else {
            var message: String
            if let soonest {
                let name = soonest.serverCertificateName.isEmpty ? soonest.serverCertificateId : soonest.serverCertificateName
                message = "\(report.expiring.count) certificate(s) expire within \(warning) days; soonest: \(name) (\(soonest.serverCertificateId)), \(Output.daysLeft(Expiry.daysLeft(soonest, now: report.now)))"
            } else if report.soonestDays == nil {
                message = "the region holds no certificate"
            } else {
                message = "no certificate expires within \(warning) days"
            }
            var performance = "expiring=\(report.expiring.count)"
            if let days = report.soonestDays { performance += " soonest_days=\(days)" }
            print("EXPIRY \(report.state.name) - \(message) | \(performance)")
        }
        if report.state != .ok { throw Exit(code: report.state.rawValue) }
    }
}
