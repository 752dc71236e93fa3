import ArgumentParser
import SLBCert

/// The deploy's time budgets as flags (seconds, like --timeout), mapped onto `DeployOptions`.
struct DeployBudgetOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a switch waits out an instance's busy answers (ServiceIsConfiguring, ...) (default \(DeploySetting.busyTimeout.defaultValue / 1000)).", valueName: "seconds"))
    var busyTimeout: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("The same for putting bindings back after a failure (default \(DeploySetting.rollbackTimeout.defaultValue / 1000)).", valueName: "seconds"))
    var rollbackTimeout: Int?

    func apply(to options: inout DeployOptions) {
        options.busyTimeoutMilliseconds = busyTimeout.map(Flags.milliseconds)
        options.rollbackTimeoutMilliseconds = rollbackTimeout.map(Flags.milliseconds)
    }

    static let flags: [String: String] = [
        DeploySetting.busyTimeout.rawValue: "--busy-timeout", DeploySetting.rollbackTimeout.rawValue: "--rollback-timeout",
        DeploySetting.referenceTimeout.rawValue: "--reference-timeout", DeploySetting.tlsTimeout.rawValue: "--tls-timeout",
    ]

    /// A budget out of range, in the flag's name and seconds.
    static func reword(_ error: SLBCertError) -> SLBCertError {
        guard error.reason == .settingOutOfRange, let setting = DeploySetting(rawValue: error.argument), let flag = flags[error.argument] else {
            return error
        }
        var error = error
        let seconds = Int(error.value).map { $0 / 1000 }.map(String.init) ?? error.value
        error.message = "\(flag) \(seconds) is out of range: it must be \(max(1, setting.range.lowerBound / 1000)) to \(setting.range.upperBound / 1000) seconds."
        return error
    }
}

struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a renewed certificate on every HTTPS listener and SNI domain that needs it, verify, roll back on failure.",
        discussion: """
        Uploads the certificate (duplicate-safe), then switches every HTTPS listener default \
        certificate and every SNI domain extension of the region (or of the --load-balancer \
        instances) that uses a certificate it replaces. By default it replaces every other \
        certificate whose names (CN and DNS names) it covers, unless that one expires later; \
        --replace names them instead. A plan that is not safe is refused before anything changes \
        (an SNI domain the certificate does not cover, a load balancer or certificate id that is \
        not in --region). Instances Kubernetes' cloud controller manages are skipped unless \
        --force-managed.

        Each switch sends only the certificate and is recorded in a journal before the next one; \
        every switched listener is read back (and, with --verify-tls, its TLS handshake checked). \
        When a step fails, every switch is undone. A run that was killed is completed by running \
        the same command again; `slbcert rollback JOURNAL` restores the state before it. \
        --delete-old deletes the replaced certificates nothing uses any more, last: the only step \
        with no way back.

        Exit status: 0 deployed (or already deployed), 6 nothing to deploy (no listener or SNI \
        domain uses a certificate this one replaces), 7 a step failed and every change was rolled \
        back, 8 a step failed and the rollback is incomplete (what is left is listed); 1 usage, \
        2 the certificate/key failed the checks or the plan was refused (nothing changed), \
        3 service error, 4 network/TLS/timeout, 5 credentials.

        Examples:
          slbcert deploy --cert fullchain.pem --key privkey.pem \\
                         --region cn-hangzhou --dry-run
          slbcert deploy --cert fullchain.pem --key privkey.pem \\
                         --region cn-hangzhou --verify-tls --delete-old
          slbcert deploy --cert c.pem --key k.pem --replace 1234_abc_1_2 \\
                         --load-balancer lb-xyz --json
        """)

    @OptionGroup var bundleOptions: BundleOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var budgets: DeployBudgetOptions

    @Option(help: ArgumentHelp("ServerCertificateName for the upload (default: the service names it after the common name).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("replace"), help: ArgumentHelp("A ServerCertificateId to replace (repeatable; default: every certificate whose names this one covers).", valueName: "id"))
    var replace: [String] = []

    @Option(name: .customLong("load-balancer"), help: ArgumentHelp("Only this load balancer (repeatable; default: all of the region).", valueName: "id"))
    var loadBalancers: [String] = []

    @Flag(help: "After a verified deploy, delete the replaced certificates that nothing uses any more.")
    var deleteOld = false

    @Flag(help: "Also check by TLS handshake that each listener serves the new certificate.")
    var verifyTls = false

    @Flag(help: "Also switch instances Kubernetes' cloud controller manages (it may put its own certificate back).")
    var forceManaged = false

    @Flag(help: "Print the plan; upload nothing, change nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("The journal file (default: one in ~/.local/state/slbcert/deploy, or $SLBCERT_STATE_DIR/deploy).", valueName: "file"))
    var journal: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds --delete-old waits out a reference that outlives the switch (default \(DeploySetting.referenceTimeout.defaultValue / 1000)).", valueName: "seconds"))
    var referenceTimeout: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds --verify-tls polls until the new certificate is served (default \(DeploySetting.tlsTimeout.defaultValue / 1000)).", valueName: "seconds"))
    var tlsTimeout: Int?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let bundle = try bundleOptions.load(requireKey: true)
        for warning in bundle.warnings { Output.standardError("slbcert: warning \(warning.code.rawValue): \(warning.message)") }
        if bundle.hasErrors {
            for finding in bundle.errors { Output.standardError("slbcert: error \(finding.code.rawValue): \(finding.message)") }
            if json {
                var error = SLBCertError(.validation, "The certificate bundle has errors; nothing was sent.")
                error.findings = bundle.errors
                error.reason = .bundleHasErrors
                Output.json(Output.errorObject(CLIWording.apply(error)))
            }
            throw Exit(status: .validation)
        }
        let client = try service.client()
        var options = DeployOptions(replace: replace, loadBalancers: loadBalancers, deleteOld: deleteOld, verifyTLS: verifyTls,
                                    forceManaged: forceManaged, dryRun: dryRun, journalPath: journal, upload: UploadOptions(name: name))
        budgets.apply(to: &options)
        options.referenceTimeoutMilliseconds = referenceTimeout.map(Flags.milliseconds)
        options.tlsTimeoutMilliseconds = tlsTimeout.map(Flags.milliseconds)
        let report: DeployReport
        do {
            report = try client.deploy(bundle, options: options)
        } catch {
            throw DeployBudgetOptions.reword(error)
        }
        try DeployOutput.finish(report, client: client, json: json)
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put back every binding a deploy journal records on the certificate it had before.",
        discussion: """
        Reads each listener first: a binding already back needs nothing, one someone else changed \
        since is left alone and listed. Running it again is harmless. Certificates the deploy \
        deleted (--delete-old) cannot come back.

        Exit status: 0 everything is back, 8 some bindings could not be put back (they are \
        listed); 1 usage or an unreadable journal, 3 service error, 4 network/TLS/timeout, 5 credentials.

        Example:
          slbcert rollback --region cn-hangzhou \\
              ~/.local/state/slbcert/deploy/deploy-cn-hangzhou-...jsonl
        """)

    @OptionGroup var service: ServiceOptions
    @OptionGroup var budgets: DeployBudgetOptions

    @Argument(help: "The journal file a deploy wrote (its report names it).")
    var journal: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let client = try service.client()
        var options = DeployOptions()
        budgets.apply(to: &options)
        let report: DeployReport
        do {
            report = try client.rollback(journal: journal, options: options)
        } catch {
            throw DeployBudgetOptions.reword(error)
        }
        try DeployOutput.finish(report, client: client, json: json)
    }
}

/// How a deploy or rollback report is shown, and the exit status it means.
enum DeployOutput {
    static func finish(_ report: DeployReport, client: SLBClient, json: Bool) throws {
        // Warnings were shown as they happened when a logger prints them; otherwise they are shown now.
        if client.configuration.logger == nil {
            for warning in report.warnings { Output.standardError("slbcert: warning: \(warning)") }
        }
        if let failure = report.failure {
            let worded = CLIWording.apply(failure)
            Output.standardError("slbcert: error: \(worded.description)" + (worded.hint.isEmpty ? "" : "\nhint: \(worded.hint)"))
        }
        if json {
            Output.json(report.json)
        } else {
            print(text(report), terminator: "")
        }
        switch report.outcome {
        case .deployed, .alreadyDeployed, .planned: return
        case .nothingToDeploy: throw Exit(status: .nothingToDeploy)
        case .rolledBack:
            // A rollback that put everything back did what was asked; a deploy that had to did not.
            if report.failure == nil { return }
            throw Exit(status: .rolledBack)
        case .partial: throw Exit(status: .partial)
        }
    }

    static func text(_ report: DeployReport) -> String {
        var out = ""
        let id = report.certificateId.isEmpty ? "(not stored yet)" : report.certificateId
        out += "Certificate \(id)\(report.uploaded ? " (uploaded)" : ""), fingerprint \(report.fingerprint)\n"
        out += "Replaces    \(report.replaced.isEmpty ? "nothing" : report.replaced.joined(separator: ", "))\n"
        if !report.bindings.isEmpty {
            let rows = [["LOAD BALANCER", "PORT", "DOMAIN", "FROM", "TO", "RESULT"]] + report.bindings.map { binding in
                [binding.loadBalancerId, String(binding.listenerPort), binding.domain ?? "(default)", binding.from,
                 binding.to.isEmpty ? "(new)" : binding.to, binding.result.rawValue]
            }
            out += table(rows)
        }
        for check in report.verified {
            let state = check.ok ? "ok" : check.fingerprint == nil ? "unreachable: \(check.problem)" : "NOT THE NEW CERTIFICATE"
            out += "TLS \(check.address):\(check.port) \(check.serverName ?? "(no SNI)"): \(check.fingerprint ?? "-") \(state)\n"
        }
        for drift in report.drift {
            out += "Drift \(drift.loadBalancerId):\(drift.listenerPort) \(drift.attribute): \"\(drift.found)\" -> \"\(drift.expected)\" \(drift.restored ? "restored" : "NOT restored")\n"
        }
        if !report.deleted.isEmpty { out += "Deleted     \(report.deleted.joined(separator: ", "))\n" }
        if let journal = report.journal { out += "Journal     \(journal)\n" }
        let count = { (result: DeployBinding.Result) in report.bindings.filter { $0.result == result }.count }
        switch report.outcome {
        case .deployed:
            out += "Deployed: \(count(.switched)) binding(s) switched, \(count(.unchanged)) already on it"
                + (count(.skipped) > 0 ? ", \(count(.skipped)) skipped (managed)" : "") + ".\n"
        case .alreadyDeployed:
            out += "Already deployed: every binding already uses \(report.certificateId); nothing was switched.\n"
        case .nothingToDeploy:
            out += "Nothing to deploy: no listener or SNI domain uses a certificate this one replaces, and it is bound nowhere"
                + (count(.skipped) > 0 ? " (except on managed instances, skipped)" : "")
                + ". Name the certificate to replace with --replace, or bind this one once by hand.\n"
        case .planned:
            out += "Dry run: \(count(.planned)) binding(s) would be switched; nothing was changed.\n"
        case .rolledBack:
            out += report.failure == nil ? "Rolled back: every binding is on the certificate it had before the deploy.\n"
                : "Rolled back: a step failed, and every binding is back on its old certificate.\n"
        case .partial:
            let left = report.bindings.filter { $0.result == .failed }
            out += "ROLLBACK INCOMPLETE: \(left.count) binding(s) could not be put back:\n"
            for binding in left {
                out += "  \(binding.loadBalancerId):\(binding.listenerPort) \(binding.domain ?? "(default)") still uses \(binding.to) (was \(binding.from))\n"
            }
            if let journal = report.journal { out += "Run `slbcert rollback \(journal)` to try again.\n" }
        }
        return out
    }

    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == columns - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }
}
