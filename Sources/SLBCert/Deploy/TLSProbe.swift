import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// One TLS handshake with a listener to see which certificate it serves. Peer verification is off for
/// this probe only: comparing the served leaf's fingerprint with the new certificate's is the check.
///
/// OpenSSL works on memory BIOs and this code moves the bytes with send(MSG_NOSIGNAL) and recv, each
/// bounded by poll: a peer that closes early can never raise SIGPIPE in the host process, and no
/// step can wait longer than the timeout.
enum TLSProbe {
    enum Outcome: Equatable {
        case served(fingerprint: String)
        /// No handshake: refused, timed out, not TLS. Reported, not fatal (an intranet address may
        /// not be reachable from here).
        case unreachable(String)
    }

    static func probe(address: String, port: Int, serverName: String?, timeoutMilliseconds: Int) -> Outcome {
        let deadline = Deadline(fromNow: max(1, timeoutMilliseconds))
        let socket: Int32
        switch connect(address: address, port: port, deadline: deadline) {
        case .success(let descriptor): socket = descriptor
        case .failure(let problem): return .unreachable(problem.text)
        }
        defer { close(socket) }
        return handshake(socket: socket, serverName: serverName, deadline: deadline)
    }

    struct Problem: Error { let text: String }

    // MARK: TCP

    private static func connect(address: String, port: Int, deadline: Deadline) -> Result<Int32, Problem> {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard (1...65535).contains(port), getaddrinfo(address, String(port), &hints, &list) == 0, let first = list else {
            return .failure(Problem(text: "\(address) is not an IP address"))
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return .failure(Problem(text: "socket: \(String(cString: strerror(errno)))")) }
        if Glibc.connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let text = String(cString: strerror(errno))
                close(descriptor)
                return .failure(Problem(text: "connect: \(text)"))
            }
            guard wait(descriptor, for: Int16(POLLOUT), deadline: deadline) else {
                close(descriptor)
                return .failure(Problem(text: "connect: timed out"))
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure != 0 {
                close(descriptor)
                return .failure(Problem(text: "connect: \(String(cString: strerror(failure)))"))
            }
        }
        return .success(descriptor)
    }

    /// Waits until the socket is ready for `events`, or the deadline; false on timeout or error.
    private static func wait(_ descriptor: Int32, for events: Int16, deadline: Deadline) -> Bool {
        while true {
            let remaining = deadline.remaining
            guard remaining > 0 else { return false }
            var poller = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 60_000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { if ready == 0 && !deadline.hasPassed { continue }; return false }
            return poller.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0
        }
    }

    // MARK: TLS

    private static func handshake(socket: Int32, serverName: String?, deadline: Deadline) -> Outcome {
        guard let context = SSL_CTX_new(TLS_client_method()) else { return .unreachable("TLS: \(openSSLText())") }
        defer { SSL_CTX_free(context) }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else { return .unreachable("TLS: \(openSSLText())") }
        defer { SSL_free(ssl) }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else { return .unreachable("TLS: out of memory") }
        SSL_set_bio(ssl, incoming, outgoing)  // the SSL owns both from here
        SSL_set_connect_state(ssl)
        if let serverName, slbcert_SSL_set_tlsext_host_name(ssl, serverName) != 1 {
            return .unreachable("TLS: the name \(serverName) cannot be sent as SNI")
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let result = SSL_do_handshake(ssl)
            let status = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, result)
            // Whatever OpenSSL produced (ClientHello, Finished, an alert) goes out first.
            while BIO_ctrl_pending(outgoing) > 0 {
                let count = buffer.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
                guard count > 0, send(socket, buffer, Int(count), deadline: deadline) else { return .unreachable("TLS: the connection closed while sending") }
            }
            if result == 1 { break }
            guard status == SSL_ERROR_WANT_READ else { return .unreachable("TLS handshake failed: \(openSSLText())") }
            guard wait(socket, for: Int16(POLLIN), deadline: deadline) else { return .unreachable("TLS: no answer in time") }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard count > 0 else { return .unreachable("TLS: the connection closed during the handshake") }
            _ = buffer.withUnsafeBytes { BIO_write(incoming, $0.baseAddress, Int32(count)) }
        }
        guard let leaf = SSL_get1_peer_certificate(ssl) else { return .unreachable("TLS: the server sent no certificate") }
        defer { X509_free(leaf) }
        var derPointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(leaf, &derPointer)
        guard length > 0, let derPointer else { return .unreachable("TLS: the served certificate cannot be encoded") }
        defer { CRYPTO_free(derPointer, #fileID, #line) }
        let der = Array(UnsafeBufferPointer(start: derPointer, count: Int(length)))
        return .served(fingerprint: Hex.encode(Digest.sha1(der), separator: ":"))
    }

    private static func send(_ socket: Int32, _ bytes: [UInt8], _ count: Int, deadline: Deadline) -> Bool {
        var offset = 0
        while offset < count {
            let sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { offset += sent; continue }
            if sent < 0 && (errno == EINTR) { continue }
            if sent < 0 && errno == EAGAIN, wait(socket, for: Int16(POLLOUT), deadline: deadline) { continue }
            return false
        }
        return true
    }

    private static func openSSLText() -> String {
        let code = ERR_get_error()
        ERR_clear_error()  // the first error says it; the rest are its causes
        guard code != 0 else { return "the peer ended the handshake" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
