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

    init(_ error: SLBCertError) {
        switch error.kind {
        case .validation, .parse: self = .validation
        case .service, .protocol: self = .service
        case .network, .tls, .timeout: self = .network
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
        Exit status: 0 success, 1 usage error, 2 the certificate/key failed the checks,
        3 the service answered with an error, 4 network/TLS/timeout, 5 credentials.
        Secrets are never taken from arguments: use the environment, profile files, or files/stdin.

        Examples:
          slbcert inspect --cert fullchain.pem --key privkey.pem
          slbcert upload --cert fullchain.pem --key privkey.pem --region cn-hangzhou --name www-2026
          slbcert list --region cn-hangzhou --json
        """,
        version: SLBCertVersion.string,
        subcommands: [Inspect.self, Normalize.self, Upload.self, List.self, Rename.self, Delete.self, Sign.self])
}

/// Thrown by commands that have already printed what went wrong and only need to exit.
struct Exit: Error {
    let status: ExitStatus
    init(status: ExitStatus) {
        self.status = status
    }
}

@main
enum Main {
    static func main() {
        do {
            var command = try SLBCertCommand.parseAsRoot()
            try command.run()
        } catch let exit as Exit {
            Glibc.exit(exit.status.rawValue)
        } catch let error as SLBCertError {
            Output.error(error)
            Glibc.exit(ExitStatus(error).rawValue)
        } catch {
            // Help and --version exit 0 through ArgumentParser; every other parse failure is a usage error.
            if SLBCertCommand.exitCode(for: error) == .success { SLBCertCommand.exit(withError: error) }
            Output.standardError(SLBCertCommand.fullMessage(for: error))
            Glibc.exit(ExitStatus.usage.rawValue)
        }
    }
}
