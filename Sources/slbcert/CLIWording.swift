import SLBCert

/// The CLI's own words for the core's neutral errors: which flag or command to reach for.
enum CLIWording {
    static func apply(_ error: SLBCertError) -> SLBCertError {
        var error = error
        switch error.reason {
        case .noRegion:
            error.hint = "Pass --region, set ALIBABA_CLOUD_REGION_ID, or set region_id in the profile."
        case .invalidRegion:
            error.hint = "Pass --region with a region id such as cn-hangzhou."
        case .caBundleUnreadable:
            error.hint = "Check the --ca-bundle path (or SLBCERT_CA_BUNDLE / ALIBABA_CLOUD_CA_BUNDLE)."
        case .tlsFailed:
            error.hint = "Check --ca-bundle (or SLBCERT_CA_BUNDLE / ALIBABA_CLOUD_CA_BUNDLE) and the --endpoint host name."
        case .timedOut:
            error.hint = "Raise --timeout or --deadline, or check the network path to the endpoint."
        case .noSuchProfile:
            error.hint = "Create it with `aliyun configure --profile NAME`, or pass an existing one with --profile."
        case .bundleHasErrors:
            error.hint = "`slbcert inspect --cert C --key K` lists each finding and what to do."
        case .missingPrivateKey:
            error.hint = "Pass the key with --key."
        case .urlTooLong where error.hint.contains("in the body (the default"):
            error.hint = "The request URL is too long for the gateway: drop --placement query (the body placement is the default)."
        case .plainHTTPRefused:
            error.hint = "Use an https:// --endpoint (plain http is only for an emulator on loopback)."
        case .domainNotCovered:
            error.hint = "Deploy a certificate that also covers that domain, or leave its load balancer out with --load-balancer."
        case .loadBalancerNotInRegion:
            error.hint = "Check --load-balancer and --region: a deploy works on the load balancers of --region only."
        case .certificateNotInRegion:
            error.hint = "`slbcert list` shows the region's certificates; --replace takes ids from it (and --region must be theirs)."
        case .loadBalancerLocked:
            error.hint = "Unlock it first, or leave it out with --load-balancer."
        case .stillBusy:
            error.hint = "The instance stayed busy with another change: raise --busy-timeout, or run the same deploy again later."
        case .journalLocked:
            error.hint = "Another slbcert deploy or rollback is using this journal; wait for it, then run this again."
        case .journalMismatch:
            error.hint = "Pass another --journal, or finish the deploy it records (run it again) or undo it with `slbcert rollback FILE`."
        case .journalUnusable:
            error.hint = "Check the --journal path (or SLBCERT_STATE_DIR)."
        case .noStateDirectory:
            error.hint = "Pass --journal FILE, or set SLBCERT_STATE_DIR to a directory for the journals."
        default:
            break
        }
        switch error.serviceCode {
        case "SignatureDoesNotMatch":
            error.hint += " `slbcert sign --action ... --host ...` prints the string-to-sign the service compares."
        case "CertificateNotMatchPrivateKey":
            error.hint += " `slbcert inspect --cert C --key K` shows it."
        case "PrivateKeyEncryption":
            error.hint = "Decrypt the key, or give its passphrase with --passphrase-file."
        case "ServerCertificateId.NotFound":
            error.hint += " `slbcert list` shows the region's ids."
        case "OverQuota":
            error.hint += " `slbcert list` and `slbcert delete ID` free a slot."
        default:
            break
        }
        return error
    }

    /// A finding's message with the flag that answers it, where one does.
    static func message(of finding: Finding) -> String {
        switch finding.code {
        case .keyEncrypted: finding.message + " Pass the passphrase with --passphrase-file FILE (- reads standard input)."
        case .keyPassphraseWrong: finding.message + " Check the --passphrase-file (one trailing newline is removed)."
        default: finding.message
        }
    }
}
