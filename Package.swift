// swift-tools-version:6.1
// slbcert: a small native library that uploads TLS server certificates to Alibaba Cloud SLB safely.
// The layout is described in the README; linker flags (soname, version script, static runtime)
// live in the Makefile, not here, so that `swift build` stays a plain developer build.
import PackageDescription

let package = Package(
    name: "slbcert",
    products: [
        .library(name: "slbcert", type: .dynamic, targets: ["SLBCertABI"]),
        .library(name: "SLBCert", targets: ["SLBCert"]),
        .executable(name: "slbcert-cli", targets: ["slbcert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "SLBCert", dependencies: ["COpenSSL", "CCurl"]),
        // The public C header, seen by Swift exactly as C callers see it (include/ is a symlink).
        .target(name: "CSLBCert"),
        .target(name: "SLBCertABI", dependencies: ["SLBCert", "CSLBCert"]),
        .executableTarget(name: "slbcert", dependencies: [
            "SLBCert",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "SLBCertTests", dependencies: ["SLBCert", "COpenSSL"],
                    resources: [.copy("Fixtures")]),
    ]
)

// Fuzz targets (Tests/Fuzz, built by mk/fuzz.mk). They define LLVMFuzzerTestOneInput and no main, so
// they link only with `--sanitize fuzzer`: they exist in the package only when SLBCERT_FUZZ=1, and a
// plain `swift build` or `swift test` never sees them.
if Context.environment["SLBCERT_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzSupport", path: "Tests/Fuzz/Support"),
        .executableTarget(name: "FuzzBundle", dependencies: ["FuzzSupport", "SLBCert", "SLBCertABI", "CSLBCert"],
                          path: "Tests/Fuzz/Bundle"),
        .executableTarget(name: "FuzzRedactor", dependencies: ["FuzzSupport", "SLBCert", "SLBCertABI", "CSLBCert"],
                          path: "Tests/Fuzz/Redactor"),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", "SLBCert"], path: "Tests/Fuzz/JSON"),
        .executableTarget(name: "FuzzSigner", dependencies: ["FuzzSupport", "SLBCert", "SLBCertABI", "CSLBCert", "COpenSSL"],
                          path: "Tests/Fuzz/Signer"),
    ]
}
