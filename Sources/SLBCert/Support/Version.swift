/// The library's version; the Makefile and the header's SLBCERT_VERSION_* must say the same.
public enum SLBCertVersion {
    public static let major = 1
    public static let minor = 1
    public static let patch = 0
    public static let string = "\(major).\(minor).\(patch)"
    public static let number = major * 10000 + minor * 100 + patch
}
