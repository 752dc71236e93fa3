import ArgumentParser
import SLBCert

struct Upload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a certificate and key, then upload them (duplicate-safe by default).",
        discussion: """
        The pair is checked first; an error finding stops the upload (exit 2). The chain is sent \
        leaf first with the key as PKCS#1, as CLB requires. Without --name the service names the \
        certificate after its common name.

        By default the upload is duplicate-safe: a stored copy with the same fingerprint is reused \
        and nothing is uploaded; a request whose answer was lost is waited for, never sent twice; \
        runs at the same time agree on one copy. Renewal hooks can run this as often as they like.

        Exit status: 0 ok, 1 usage, 2 validation, 3 service error, 4 network/TLS/timeout (or the \
        upload may have been stored: run it again), 5 credentials.

        Examples:
          slbcert upload --cert fullchain.pem --key privkey.pem \\
                         --region cn-hangzhou --name www-2026
          slbcert upload --cert c.pem --key k.pem --tag env=prod --json
          slbcert upload --cert c.pem --key k.pem --dry-run   # signed, not sent
        """)

    @OptionGroup var bundleOptions: BundleOptions
    @OptionGroup var service: ServiceOptions

    @Option(help: ArgumentHelp("ServerCertificateName: 1-80 characters, starting with a letter (default: the service names it after the common name).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("A tag KEY=VALUE (repeatable, at most 20).", valueName: "key=value"))
    var tags: [KeyValue] = []

    @Option(help: ArgumentHelp("The resource group id.", valueName: "id"))
    var resourceGroup: String?

    @Flag(help: "Upload even when a certificate with the same fingerprint exists, and never retry an ambiguous failure.")
    var noEnsure = false

    @Flag(help: "Send the PEMs exactly as given instead of normalised.")
    var sendAsIs = false

    @Flag(help: "Print the signed request (secrets redacted) and send nothing.")
    var dryRun = false

    @Flag(help: "Print JSON (the service's field names).")
    var json = false

    func run() throws {
        let bundle = try bundleOptions.loadForSending(json: json)
        let client = try service.client()
        let options = UploadOptions(name: name, resourceGroupId: resourceGroup, tags: tags.map { .init(key: $0.key, value: $0.value) },
                                    ensure: !noEnsure, sendAsIs: sendAsIs)
        if dryRun {
            let signed = try client.signedUploadRequest(bundle, options: options)
            if json {
                Output.json(.object([("DryRun", .bool(true))] + SignedRequestReport.json(signed, baseURL: client.baseURL)))
            } else {
                print(SignedRequestReport.text(signed, baseURL: client.baseURL, redacted: true), terminator: "")
            }
            return
        }
        let result = try client.upload(bundle, options: options)
        let certificate = result.certificate
        // The service keeps the name a copy was stored with: say so rather than ignore --name silently.
        let nameNotApplied = name.map { result.outcome != .uploaded && $0 != certificate.serverCertificateName } ?? false
        if json {
            var members: [(String, JSON)] = [("Uploaded", .bool(result.uploaded)), ("Outcome", .string(result.outcome.rawValue))]
            if case .object(let fields) = certificate.json { members += fields }
            members.append(("RequestId", .string(certificate.requestId)))
            members.append(("Removed", .array(result.removed.map(JSON.string))))
            members.append(("Duplicates", .array(result.duplicates.map(JSON.string))))
            members.append(("RegionCertificates", .array(result.regionCertificates.map {
                .object([("ServerCertificateId", .string($0.serverCertificateId)), ("Fingerprint", .string($0.fingerprint))])
            })))
            Output.json(.object(members))
        } else {
            switch result.outcome {
            case .uploaded: print("Uploaded \(certificate.serverCertificateId)")
            case .found: print("Already present as \(certificate.serverCertificateId); nothing uploaded")
            case .converged:
                print("Already present as \(certificate.serverCertificateId): another upload stored it first; removed this run's copy \(result.removed.joined(separator: ", "))")
            }
            print("  Name:        \(certificate.serverCertificateName)")
            print("  Fingerprint: \(certificate.fingerprint)")
            print("  Common name: \(certificate.commonName)")
            print("  Expires:     \(certificate.expireTime)")
            if options.ensure {
                print("  Region:      \(certificate.regionId) (\(result.regionCertificates.count) certificate(s) there)")
            } else {
                print("  Region:      \(certificate.regionId)")
            }
            if !result.duplicates.isEmpty {
                print("  Also stored: \(result.duplicates.joined(separator: ", ")) (same fingerprint, not created by this run)")
            }
        }
        if nameNotApplied, let name {
            Output.standardError("slbcert: note: the stored copy keeps its name \"\(certificate.serverCertificateName)\"; --name \(name) was not applied (slbcert rename \(certificate.serverCertificateId) \(name) renames it).")
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the region's server certificates.",
        discussion: """
        With --expiring-within, only the certificates that expire within that many days (or already \
        have), soonest first, with the days left.

        Examples:
          slbcert list --region cn-hangzhou
          slbcert list --tag env=prod --json
          slbcert list --expiring-within 30
        """)

    @OptionGroup var service: ServiceOptions

    @Option(help: ArgumentHelp("Only this ServerCertificateId.", valueName: "id"))
    var id: String?

    @Option(help: ArgumentHelp("Only this resource group.", valueName: "id"))
    var resourceGroup: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("Only certificates with this tag KEY=VALUE (repeatable).", valueName: "key=value"))
    var tags: [KeyValue] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Only certificates that expire within this many days (or have expired), soonest first.", valueName: "days"))
    var expiringWithin: Int?

    @Flag(help: "Print JSON (the service's field names).")
    var json = false

    func run() throws {
        let client = try service.client()
        var (certificates, requestId) = try client.describe(DescribeFilter(serverCertificateId: id, resourceGroupId: resourceGroup,
                                                                           tags: tags.map { .init(key: $0.key, value: $0.value) }))
        let now = UTCTime.nowMilliseconds()
        if let expiringWithin {
            do {
                certificates = try Expiry.expiring(certificates, within: expiringWithin, now: now)
            } catch {
                throw Flags.rewordDays(error, flag: "--expiring-within")
            }
        }
        if json {
            Output.json(.object([("RequestId", .string(requestId)), ("ServerCertificates", .array(certificates.map { certificate in
                guard expiringWithin != nil, case .object(let fields) = certificate.json else { return certificate.json }
                return .object(fields + [("DaysLeft", .number(Double(Expiry.daysLeft(certificate, now: now))))])
            }))]))
            return
        }
        if certificates.isEmpty {
            print(expiringWithin.map { "No server certificate in \(client.configuration.regionId) expires within \($0) days." }
                  ?? "No server certificates in \(client.configuration.regionId).")
            return
        }
        for certificate in certificates {
            let left = expiringWithin.map { _ in "  (\(Output.daysLeft(Expiry.daysLeft(certificate, now: now))))" } ?? ""
            print("\(certificate.serverCertificateId)  \(certificate.serverCertificateName)  \(certificate.commonName)  expires \(certificate.expireTime)\(left)")
            print("    \(certificate.fingerprint)")
        }
    }
}

struct Rename: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rename a server certificate.",
        discussion: "Example:\n  slbcert rename 1231579085529123_166f8204689_1714763408_709981430 www-2027")

    @OptionGroup var service: ServiceOptions
    @Argument(help: "The ServerCertificateId.") var id: String
    @Argument(help: "The new name: 1-80 characters, starting with a letter.") var name: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let requestId = try service.client().rename(serverCertificateId: id, to: name)
        if json { Output.json(.object([("RequestId", .string(requestId))])) } else { print("Renamed \(id) to \(name) (RequestId \(requestId))") }
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete a server certificate (refused while a listener uses it).",
        discussion: "Example:\n  slbcert delete 1231579085529123_166f8204689_1714763408_709981430")

    @OptionGroup var service: ServiceOptions
    @Argument(help: "The ServerCertificateId.") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let requestId = try service.client().delete(serverCertificateId: id)
        if json { Output.json(.object([("RequestId", .string(requestId))])) } else { print("Deleted \(id) (RequestId \(requestId))") }
    }
}

/// How a signed request is shown (dry runs and `slbcert sign`).
enum SignedRequestReport {
    static func text(_ request: SignedRequest, baseURL: String, redacted: Bool) -> String {
        let clean = { (text: String) in redacted ? Redactor.redact(text) : text }
        var out = "\(request.method.rawValue) \(clean(baseURL + request.pathAndQuery))\n"
        for header in request.headers { out += "\(header.name): \(clean(header.value))\n" }
        if !request.body.isEmpty { out += "\n" + clean(String(decoding: request.body, as: UTF8.self)) + "\n" }
        return out
    }

    static func json(_ request: SignedRequest, baseURL: String) -> [(String, JSON)] {
        [("Method", .string(request.method.rawValue)),
         ("URL", .string(Redactor.redact(baseURL + request.pathAndQuery))),
         ("Headers", .object(request.headers.map { ($0.name, .string(Redactor.redact($0.value))) })),
         ("Body", .string(Redactor.redact(String(decoding: request.body, as: UTF8.self))))]
    }
}
