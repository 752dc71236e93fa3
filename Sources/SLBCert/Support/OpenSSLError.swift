import COpenSSL

/// Drains this thread's OpenSSL error queue into one line, so a failure never leaks into the next call.
func drainOpenSSLErrors() -> String {
    var messages: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if messages.count < 4 { messages.append(text) }
    }
    return messages.joined(separator: "; ")
}
