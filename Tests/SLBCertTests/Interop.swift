import Foundation
import Testing

/// Helpers for tests that run the Python scripts in Tests/interop with $SLBCERT_TEST_PYTHON
/// (the Makefile sets it to the venv holding Alibaba's SDK pins).
enum Interop {
    static let python: String? = ProcessInfo.processInfo.environment["SLBCERT_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static var isAvailable: Bool { python != nil }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("interop")

    /// Runs a script to completion with `input` on stdin and returns its stdout; fails on a non-zero
    /// exit or after `timeout` seconds. Files, not pipes, so a large exchange cannot deadlock.
    static func run(script: String, input: Data, timeout: TimeInterval = 120) throws -> Data {
        let python = try #require(python)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("slbcert-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputURL = scratch.appendingPathComponent("in.json"), outputURL = scratch.appendingPathComponent("out.json")
        let errorURL = scratch.appendingPathComponent("err.txt")
        try input.write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [directory.appendingPathComponent(script).path]
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("\(script) did not finish within \(timeout) s")
        }
        let stderr = String(decoding: (try? Data(contentsOf: errorURL)) ?? Data(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "\(script) failed: \(stderr)")
        return try Data(contentsOf: outputURL)
    }
}

/// SplitMix64: a tiny seeded generator, so a failing differential case can be reproduced from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
