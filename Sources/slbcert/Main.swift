import ArgumentParser
import SLBCert
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses, documented in --help and the README; scripts rely on them.
enum ExitStatus: Int32 {
    case ok = 0
    case usage = 1
    case validation = 2
    case service = 3
    case network = 4
    case credentials = 5
    /// deploy: no listener or extension uses a certificate this one replaces, and it is bound nowhere.
    case nothingToDeploy = 6
    /// deploy: a step failed and every change was rolled back.
    case rolledBack = 7
    /// deploy or rollback: a step failed and putting everything back did not succeed (what is left is listed).
    case partial = 8

    init(_ error: SLBCertError) {
        switch error.kind {
        // A refused deploy plan changed nothing, like a bundle that failed the checks.
        case .validation, .parse, .refused: self = .validation
        case .service, .protocol: self = .service
        // Unconfirmed is transient like a timeout: running the same command again settles it.
        case .network, .tls, .timeout, .unconfirmed: self = .network
        case .credentials: self = .credentials
        case .invalidArgument, .outOfRange, .internal, .outOfMemory: self = .usage
        }
    }
}

struct SLBCertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slbcert",
        abstract: "Check, sign and upload TLS server certificates to Alibaba Cloud Server Load Balancer.",
        discussion: """
        Exit status: 0 success, 1 usage error, 2 the certificate/key failed the checks (or a \
        deploy's plan was refused; nothing changed), 3 the service answered with an error, \
        4 network/TLS/timeout (or an upload that may have been stored: run it again), \
        5 credentials; deploy also: 6 nothing to deploy, 7 a step failed and every change was \
        rolled back, 8 a step failed and the rollback is incomplete.

        Secrets are never taken from arguments: use the environment, profile files, or files/stdin.

        Examples:
          slbcert inspect --cert fullchain.pem --key privkey.pem
          slbcert upload --cert fullchain.pem --key privkey.pem \\
                         --region cn-hangzhou --name www-2026
          slbcert list --region cn-hangzhou --json
          slbcert deploy --cert fullchain.pem --key privkey.pem \\
                         --region cn-hangzhou --verify-tls
        """,
        version: SLBCertVersion.string,
        subcommands: [Inspect.self, Normalize.self, Upload.self, Deploy.self, Rollback.self, List.self, Rename.self, Delete.self,
                      Sign.self, CheckExpiry.self])
}

/// Thrown by commands that have already printed what went wrong and only need to exit.
struct Exit: Error {
    let code: Int32
    init(status: ExitStatus) {
        code = status.rawValue
    }
    /// For commands with statuses of their own (check-expiry speaks the monitoring-plugin convention).
    init(code: Int32) {
        self.code = code
    }
}

@main
enum Main {
    static func main() {
        do {
            var command = try SLBCertCommand.parseAsRoot()
            try command.run()
        } catch let exit as Exit {
            Glibc.exit(exit.code)
        } catch let error as SLBCertError {
            Output.error(error, json: CommandLine.arguments.contains("--json"))
            Glibc.exit(ExitStatus(error).rawValue)
        } catch {
            // Help and --version exit 0 through ArgumentParser; every other parse failure is a usage
            // error, which for the monitoring check is UNKNOWN (3) like any failure to check.
            if SLBCertCommand.exitCode(for: error) == .success { SLBCertCommand.exit(withError: error) }
            Output.standardError(SLBCertCommand.fullMessage(for: error))
            let isCheck = CommandLine.arguments.dropFirst().first == CheckExpiry.configuration.commandName
            if isCheck { print("EXPIRY UNKNOWN - \(SLBCertCommand.message(for: error))") }
            Glibc.exit(isCheck ? Expiry.State.unknown.rawValue : ExitStatus.usage.rawValue)
        }
    }
}
