/// Turns the service's answers into results or `SLBCertError`s, and says which failures are worth
/// retrying (docs/protocol.md sections 5 and 8).
enum ServiceAnswer {
    /// The JSON body of a successful answer, or the error it carries.
    static func decode(_ response: HTTPResponse) throws(SLBCertError) -> JSON {
        let json = JSON.parse(response.body)
        if (200..<300).contains(response.status), let json, json["Code"] == nil {
            return json
        }
        if let json, let code = json["Code"]?.string {
            var error = serviceError(status: response.status, code: code, message: json["Message"]?.string ?? "",
                                     requestId: json["RequestId"]?.string ?? "", hostId: json["HostId"]?.string ?? "",
                                     recommend: json["Recommend"]?.string ?? "")
            error.retryAfterMilliseconds = response.header("x-acs-retry-after").flatMap { Int($0) }
            throw error
        }
        let text = String(decoding: response.body.prefix(64 * 1024), as: UTF8.self)
        if text.contains("<Error>"), let code = xmlElement("Code", in: text) {
            throw serviceError(status: response.status, code: code, message: xmlElement("Message", in: text) ?? "",
                               requestId: xmlElement("RequestId", in: text) ?? "", hostId: xmlElement("HostId", in: text) ?? "",
                               recommend: xmlElement("Recommend", in: text) ?? "")
        }
        let contentType = response.header("content-type") ?? "no content type"
        var error = SLBCertError(.protocol, "The service answered HTTP \(response.status) (\(contentType)) with something that is not the API's JSON: \"\(excerpt(text))\"")
        error.httpStatus = response.status
        if response.status == 414 { error.reason = .urlTooLong }
        throw error
    }

    static func serviceError(status: Int, code: String, message: String, requestId: String, hostId: String,
                             recommend: String) -> SLBCertError {
        // The server quotes its string-to-sign in SignatureDoesNotMatch; it holds parameter values
        // (PEMs, the key with query placement), so only the part before it is kept.
        var cleanMessage = message
        if let quote = cleanMessage.firstRange(of: "server string to sign is:") {
            cleanMessage = String(cleanMessage[..<quote.lowerBound])
            while cleanMessage.hasSuffix(" ") { cleanMessage.removeLast() }
        }
        var error = SLBCertError(.service, "\(code): \(Redactor.redact(cleanMessage))", hint: hint(for: code))
        error.serviceCode = code
        error.requestId = requestId
        error.hostId = hostId
        error.recommend = recommend
        error.httpStatus = status
        return error
    }

    /// What to do about a service Code, in words every interface can use (they add their own
    /// pointers to commands, functions or keywords).
    static func hint(for code: String) -> String {
        switch code {
        case "SignatureDoesNotMatch":
            return "Check the AccessKeySecret, and that nothing re-encodes the request; the string-to-sign shows what was signed."
        case "InvalidTimeStamp.Expired":
            return "The local clock is more than 15 minutes off; synchronise it (NTP)."
        case "SignatureNonceUsed":
            return "A request was replayed; retry (a fresh nonce is drawn for every request)."
        case "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId":
            return "The AccessKeyId is unknown: check the credentials source (environment, profile)."
        case "InvalidSecurityToken.Expired", "InvalidSecurityToken.Mismatch", "InvalidSecurityToken.Malformed":
            return "The STS token is expired or does not belong to the AccessKeyId; fetch fresh STS credentials."
        case "Forbidden", "Forbidden.RAM", "NoPermission":
            return "The RAM user lacks permission for this action; grant slb:UploadServerCertificate and friends."
        case "InvalidRegionId.NotFound":
            return "Check the region id; certificates are regional and must be uploaded where the load balancer is."
        case "CertificateNotMatchPrivateKey":
            return "The key does not belong to the certificate; checking the pair locally shows which one is wrong."
        case "PrivateKeyEncryption":
            return "Decrypt the key first, or give its passphrase so that it is decrypted before sending."
        case "ServerCertificateId.NotFound":
            return "Check the id, and that the region is the one the certificate was uploaded to."
        case "CertificateAndPrivateKeyIsRefered":
            return "Unbind the certificate from its listeners before deleting it."
        case "OverQuota":
            return "Delete unused certificates in the region."
        default:
            return code.hasPrefix("Throttling") ? "Requests are rate-limited; retry later or lower the request rate." : ""
        }
    }

    /// Transient failures (docs/protocol.md section 8): worth another attempt.
    static func isRetryable(_ error: SLBCertError) -> Bool {
        switch error.kind {
        case .network, .timeout:
            return true
        case .service, .protocol:
            if [500, 502, 503, 504, 449].contains(error.httpStatus) { return true }
            return ["SystemBusy", "ServiceUnavailable", "InternalError", "SignatureNonceUsed"].contains(error.serviceCode)
                || error.serviceCode.hasPrefix("Throttling")
        default:
            return false
        }
    }

    /// Failures after which the request may have been carried out: the answer was lost or the server broke.
    /// Connection failures before anything was sent, and explicit refusals, are not ambiguous.
    static func isAmbiguous(_ error: SLBCertError) -> Bool {
        switch error.kind {
        case .timeout: return true
        case .network:
            // curl: 6 resolve, 7 connect, 5 proxy resolve: the request never left.
            return ![5, 6, 7].contains(error.transportCode)
        case .service, .protocol:
            // libcurl resends a request, unchanged, when a reused connection dies before any answer; the
            // resend is refused as a replayed nonce, and the first copy may have been carried out.
            return error.httpStatus >= 500 || error.serviceCode == "SignatureNonceUsed"
        default:
            return false
        }
    }

    /// Ambiguous failures after which no answer came: the server may still be working on the request.
    /// (A 5xx is ambiguous too, but the server has finished with the request when it answers.)
    static func isUnanswered(_ error: SLBCertError) -> Bool {
        guard isAmbiguous(error) else { return false }
        return error.kind == .timeout || error.kind == .network || error.serviceCode == "SignatureNonceUsed"
    }

    /// A short, cleaned, redacted excerpt of an unexpected body (tags stripped, space collapsed).
    static func excerpt(_ text: String) -> String {
        var plain = ""
        var inTag = false
        for character in text {
            if character == "<" { inTag = true; plain.append(" "); continue }
            if character == ">" { inTag = false; continue }
            if !inTag { plain.append(character.isWhitespace || character.asciiValue.map { $0 < 0x20 } == true ? " " : character) }
        }
        let words = plain.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let cut = words.count > 160 ? String(words.prefix(160)) + "..." : words
        return Redactor.redact(cut)
    }

    private static func xmlElement(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>"), let close = text[open.upperBound...].firstRange(of: "</\(name)>") else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }
}
