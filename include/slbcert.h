/**
 * @file slbcert.h
 * @brief slbcert: check, sign and upload TLS server certificates to Alibaba Cloud Server Load Balancer.
 *
 * This header is the whole public C API of libslbcert.so.1 and the single source of truth for its ABI.
 *
 * ## Conventions
 * - Every symbol starts with `slbcert_` (functions, types) or `SLBCERT_` (macros, enum values).
 * - Functions that can fail return an `int` status: ::SLBCERT_OK (0) or a negative ::slbcert_status.
 *   After a failure, the details (message, the service's Code and RequestId, HTTP status, hint) are
 *   readable with the `slbcert_last_error_*()` getters until the next call on the same thread that
 *   returns a status (getters leave them alone; a successful call clears them).
 * - Handles are opaque. A handle comes back through an out-parameter that is always the first
 *   argument and named `out`; `*out` is set to NULL on failure. Each handle type has one
 *   `slbcert_<type>_free()`, and every `_free()` accepts NULL as a harmless no-op.
 * - Ownership: what comes back through `**out` is the caller's to free. What a getter returns
 *   (strings, sub-handles) is borrowed and lives as long as its parent handle. Strings the caller owns
 *   (only where a function says so) are freed with slbcert_string_free(); never call free() on
 *   library memory.
 * - Buffers are passed as pointer + length; they need not be NUL-terminated. A NULL pointer with a
 *   non-zero length, or a length over the documented limit, is ::SLBCERT_EINVAL.
 * - Options structs carry `unsigned int version` first. Initialise them with the `..._INIT` macro or
 *   the `..._init()` function, then set the fields you need; new fields are only ever appended.
 * - Status codes are append-only: a value once published is never renumbered or removed.
 * - No OpenSSL or libcurl type appears here; the library hides both.
 *
 * ## Thread safety
 * - The library is initialised on first use (OpenSSL and libcurl global init happen once, guarded).
 * - The last-error state is per thread.
 * - ::slbcert_bundle, ::slbcert_credentials and every result handle are immutable after creation:
 *   they may be read from several threads at once. Freeing one while another thread uses it is not allowed.
 * - One ::slbcert_client may be used from many threads at once; calls on it may run concurrently.
 *   Each thread gets its own connection, kept alive between its calls.
 *
 * ## Secrets
 * Private keys, AccessKeySecrets, STS tokens and signatures never appear in an error message or a
 * log line. What the library holds of them (the key and passphrase inputs, the normalised key, the
 * AccessKeySecret and STS token, signed requests and their C strings) lives on pages of its own that
 * are marked MADV_DONTDUMP, so a core dump of the host process leaves them out, and is wiped
 * (explicit_bzero) when released. Not covered: OpenSSL's own transient copies while it decodes a
 * key, the short-lived copy of the key that goes into the request body (wiped after sending, but on
 * the ordinary heap), the caller's own buffers, swap, and anything that can read this process's
 * memory while it runs (a debugger, /proc/PID/mem as the same user or root).
 */
#ifndef SLBCERT_H
#define SLBCERT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------ */
/** @name Version */
/**@{*/
/** Major version of this header: the 1 of libslbcert.so.1, the same for every 1.x release. */
#define SLBCERT_VERSION_MAJOR 1
/** Minor version of this header: grows when functions, status codes or options fields are added. */
#define SLBCERT_VERSION_MINOR 1
/** Patch version of this header: grows for releases that only fix. */
#define SLBCERT_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH, as slbcert_version_number() returns it. */
#define SLBCERT_VERSION_NUMBER (SLBCERT_VERSION_MAJOR * 10000 + SLBCERT_VERSION_MINOR * 100 + SLBCERT_VERSION_PATCH)
/** The version of this header as "MAJOR.MINOR.PATCH"; slbcert_version() is the library's. */
#define SLBCERT_VERSION_STRING "1.1.0"

/** @return the library's version as "MAJOR.MINOR.PATCH" (static storage). Compare with SLBCERT_VERSION_STRING. */
const char *slbcert_version(void);
/** @return the library's version as a number; compare with SLBCERT_VERSION_NUMBER. */
int slbcert_version_number(void);
/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name Status codes and the last error */
/**@{*/
/** Status codes. Append-only: new codes are added last, none is ever renumbered or removed. */
typedef enum slbcert_status {
    SLBCERT_OK = 0,            /**< success */
    SLBCERT_EINVAL = -1,       /**< an argument is NULL, too long, or out of its range */
    SLBCERT_ENOMEM = -2,       /**< memory could not be allocated */
    SLBCERT_EPARSE = -3,       /**< input is not a certificate/key/document the library can read */
    SLBCERT_EVALIDATION = -4,  /**< the certificate bundle has an error finding; nothing was sent */
    SLBCERT_ECREDENTIALS = -5, /**< no usable credentials (missing, unreadable, unsupported) */
    SLBCERT_ESERVICE = -6,     /**< the service answered with an error Code */
    SLBCERT_ENETWORK = -7,     /**< the connection failed or broke */
    SLBCERT_ETLS = -8,         /**< TLS failed: certificate verification, handshake */
    SLBCERT_ETIMEOUT = -9,     /**< the request or the overall deadline timed out */
    SLBCERT_EPROTOCOL = -10,   /**< the answer was not what the API defines (HTML page, bad JSON) */
    SLBCERT_ERANGE = -11,      /**< an index is out of range */
    SLBCERT_EINTERNAL = -12,   /**< a bug in slbcert; please report it */
    SLBCERT_EUNCONFIRMED = -13, /**< an upload may have been stored: its answer was lost and the call's
                                    deadline ended before it could tell. Nothing else was sent: run
                                    the same upload again, it finds the stored copy or uploads it. */
    SLBCERT_EREFUSED = -14     /**< slbcert_client_deploy() refused its plan before changing anything: an SNI
                                    domain the certificate does not cover, a load balancer or certificate id
                                    that is not in the client's region, a locked instance (the reason says which) */
} slbcert_status;

/** @param status a status code, e.g. what a call returned; any int.
 *  @return a static, human-readable description of @p status ("unknown status" for others). */
const char *slbcert_strerror(int status);
/** @param status a status code, e.g. what a call returned; any int.
 *  @return the enum name of @p status, e.g. "SLBCERT_ESERVICE" (static); "SLBCERT_UNKNOWN" for others. */
const char *slbcert_error_name(int status);

/** @return the status of the last failed call on this thread, or ::SLBCERT_OK. */
int slbcert_last_error_status(void);
/** @return a one-line message describing the last failure on this thread ("" when none). Borrowed
 *  until the next status-returning call on this thread. Never contains a secret. */
const char *slbcert_last_error_message(void);
/** @return a suggestion of what to do about the last failure, or "" when there is none. */
const char *slbcert_last_error_hint(void);
/** @return the service's error Code (e.g. "SignatureDoesNotMatch"), or "" when the failure did not
 *  come from the service. For ::SLBCERT_EVALIDATION, the reason code of the first error finding. */
const char *slbcert_last_error_service_code(void);
/** @return the service's RequestId for the last failure, or "". */
const char *slbcert_last_error_request_id(void);
/** @return the service's HostId for the last failure, or "". */
const char *slbcert_last_error_host_id(void);
/** @return the service's Recommend URL for the last failure, or "". */
const char *slbcert_last_error_recommend(void);
/** @return the HTTP status of the last failed request, or 0 when no answer was received. */
int slbcert_last_error_http_status(void);
/** @return libcurl's code for the last network failure, or 0. */
int slbcert_last_error_transport_code(void);
/** @return a stable code for why the last failure happened, for callers that phrase their own
 *  advice: e.g. "SETTING_OUT_OF_RANGE", "NO_REGION", "PLAIN_HTTP_REFUSED", "UPLOAD_UNCONFIRMED";
 *  "" when there is none. Values are never renamed. */
const char *slbcert_last_error_reason(void);
/** @return the argument or options field the last ::SLBCERT_EINVAL is about, as the C API names it
 *  (e.g. "deadline_ms", "user_agent_suffix", "region_id"), or "". */
const char *slbcert_last_error_argument(void);
/** Clears this thread's last error. */
void slbcert_last_error_clear(void);

/** Frees a string the library handed to the caller (and wipes it first). NULL is a no-op.
 *  @param string a string from slbcert_redact(), or NULL. */
void slbcert_string_free(char *string);

/**
 * Replaces secrets in @p text with "[REDACTED]": AccessKeySecret, SecurityToken, Signature,
 * Authorization, PrivateKey values (in query strings, form bodies, headers and JSON) and PEM
 * private-key blocks. Useful for an application's own logs of requests.
 * @param out     receives a new string; free it with slbcert_string_free().
 * @param text    the text; need not be NUL-terminated; NULL with @p length 0 is the empty text.
 * @param length  its length in bytes (at most 16 MiB).
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p out, a NULL @p text with a non-zero @p length, or
 *         more than 16 MiB.
 */
int slbcert_redact(char **out, const char *text, size_t length);
/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name Certificate bundles: parse, inspect, check, normalise */
/**@{*/

/** A parsed certificate chain and (optionally) its private key, with facts and findings. Immutable. */
typedef struct slbcert_bundle slbcert_bundle;
/** One certificate of a bundle's chain. Borrowed from its bundle. */
typedef struct slbcert_certificate slbcert_certificate;

/** Severity of a finding. Errors stop an upload; warnings do not. */
typedef enum slbcert_severity {
    SLBCERT_SEVERITY_WARNING = 1, /**< worth fixing; the bundle can still be uploaded */
    SLBCERT_SEVERITY_ERROR = 2    /**< the bundle is refused: slbcert_client_upload() sends nothing */
} slbcert_severity;

/** The version of ::slbcert_check_options this header declares. */
#define SLBCERT_CHECK_OPTIONS_VERSION 1
/** Options for the checks made when a bundle is parsed. */
typedef struct slbcert_check_options {
    unsigned int version;     /**< SLBCERT_CHECK_OPTIONS_VERSION */
    int allow_non_rsa;        /**< non-zero: an EC or Ed25519 key is a warning, not an error (CLB rejects them) */
    int expiry_warning_days;  /**< warn when the leaf expires within this many days (default 30; 0 = never) */
    int64_t now_ms;           /**< the instant checks use, in ms since the epoch; 0 = the system clock */
} slbcert_check_options;
/** An initialiser of ::slbcert_check_options: this header's version and the defaults. */
#define SLBCERT_CHECK_OPTIONS_INIT { SLBCERT_CHECK_OPTIONS_VERSION, 0, 30, 0 }
/** Fills @p options with defaults. @param options the struct to fill. @param version SLBCERT_CHECK_OPTIONS_VERSION.
 *  @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p options or a version this library does not know. */
int slbcert_check_options_init(slbcert_check_options *options, unsigned int version);

/** Largest certificate or key input accepted, in bytes (1 MiB). */
#define SLBCERT_MAX_INPUT_BYTES (1024 * 1024)
/** @return ::SLBCERT_MAX_INPUT_BYTES as the loaded library has it (for bindings, which cannot read macros). */
size_t slbcert_max_input_bytes(void);

/**
 * Parses a certificate chain and optionally its private key, and checks them.
 *
 * The chain may be PEM (1..n certificates in any order, CRLF or LF, blank lines and text around the
 * blocks, a UTF-8 BOM) or one DER certificate. The key may be PEM PKCS#1 RSA, PKCS#8 (plain or
 * encrypted), SEC1 EC, or Ed25519 (recognised and reported).
 *
 * A bundle is returned whenever the arguments are valid, even when the input has problems: read its
 * findings (slbcert_bundle_finding()) and slbcert_bundle_has_errors(). When no certificate could be
 * read, the bundle has a chain length of 0 and an error finding says why.
 *
 * @param out            receives the bundle; free it with slbcert_bundle_free().
 * @param cert           the certificate chain bytes (PEM or DER); NULL only with @p cert_len 0.
 * @param cert_len       their length; 0 (an empty file) gives the finding NO_CERTIFICATE, more than
 *                       SLBCERT_MAX_INPUT_BYTES the finding INPUT_TOO_LARGE.
 * @param key            the private key PEM, or NULL for a chain without key.
 * @param key_len        its length (0 when @p key is NULL; 0 with a non-NULL @p key is an empty key
 *                       input, which gives the finding NO_PRIVATE_KEY).
 * @param passphrase     the passphrase of an encrypted key, or NULL.
 * @param passphrase_len its length (0 when @p passphrase is NULL).
 * @param options        check options, or NULL for the defaults.
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for bad arguments.
 */
int slbcert_bundle_parse(slbcert_bundle **out,
                         const char *cert, size_t cert_len,
                         const char *key, size_t key_len,
                         const char *passphrase, size_t passphrase_len,
                         const slbcert_check_options *options);

/** Frees a bundle and wipes its key material. NULL is a no-op. @param bundle the bundle, or NULL. */
void slbcert_bundle_free(slbcert_bundle *bundle);

/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return 1 when the bundle has at least one error finding, 0 when it has none, -1 for NULL. */
int slbcert_bundle_has_errors(const slbcert_bundle *bundle);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return the number of findings (0 for NULL). */
size_t slbcert_bundle_finding_count(const slbcert_bundle *bundle);
/**
 * Reads finding @p index. Each out-parameter may be NULL when not wanted; strings are borrowed.
 * @param bundle   a bundle from slbcert_bundle_parse().
 * @param index    0 to slbcert_bundle_finding_count() - 1.
 * @param severity receives a ::slbcert_severity.
 * @param code     receives a stable reason code such as "KEY_MISMATCH".
 * @param message  receives a sentence that says what is wrong and what to do.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL bundle, ::SLBCERT_ERANGE for a bad index.
 */
int slbcert_bundle_finding(const slbcert_bundle *bundle, size_t index,
                           int *severity, const char **code, const char **message);

/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return the number of distinct certificates in the chain, leaf first (0 for NULL). */
size_t slbcert_bundle_chain_length(const slbcert_bundle *bundle);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL. @param index 0 to slbcert_bundle_chain_length() - 1.
 *  @return certificate @p index of the chain in leaf-first order (0 is the leaf), borrowed; NULL when out of range. */
const slbcert_certificate *slbcert_bundle_certificate(const slbcert_bundle *bundle, size_t index);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return 1 when the bundle holds a readable private key, 0 otherwise (and for NULL). */
int slbcert_bundle_has_key(const slbcert_bundle *bundle);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return the key's algorithm: "RSA", "EC", "Ed25519", another OpenSSL name, or NULL without a key. */
const char *slbcert_bundle_key_algorithm(const slbcert_bundle *bundle);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return the key's size in bits, or 0 without a key. */
int slbcert_bundle_key_bits(const slbcert_bundle *bundle);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return the chain as CLB accepts it: leaf first, then issuers, 64-column base64, LF; borrowed; NULL without a chain. */
const char *slbcert_bundle_normalized_certificate_pem(const slbcert_bundle *bundle);
/** @param bundle a bundle from slbcert_bundle_parse(), or NULL.
 *  @return the key as unencrypted PKCS#1 RSA PEM (or the key's traditional PEM form for non-RSA keys);
 *  borrowed, wiped when the bundle is freed; NULL without a key. */
const char *slbcert_bundle_normalized_private_key_pem(const slbcert_bundle *bundle);

/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the service's Fingerprint: SHA-1 of the DER, lower-case hex joined by ':'. */
const char *slbcert_certificate_fingerprint(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the SHA-256 fingerprint in the same form. */
const char *slbcert_certificate_fingerprint_sha256(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the subject's common name, or "" when it has none. */
const char *slbcert_certificate_common_name(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the subject as a one-line RFC 2253 string. */
const char *slbcert_certificate_subject(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the issuer as a one-line RFC 2253 string. */
const char *slbcert_certificate_issuer(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the serial number as upper-case hex, whole bytes (so it may start with "0"), as `openssl x509 -serial` prints it. */
const char *slbcert_certificate_serial(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return notBefore as "yyyy-MM-ddTHH:mm:ssZ". */
const char *slbcert_certificate_not_before(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL.
 *  @return notBefore in milliseconds since the Unix epoch (0 for NULL). */
int64_t slbcert_certificate_not_before_ms(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return notAfter as "yyyy-MM-ddTHH:mm:ssZ" (the service's ExpireTime for the leaf). */
const char *slbcert_certificate_not_after(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives 0).
 *  @return notAfter in milliseconds since the Unix epoch (the service's ExpireTimeStamp). */
int64_t slbcert_certificate_not_after_ms(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives 0).
 *  @return the number of DNS subject alternative names. */
size_t slbcert_certificate_dns_name_count(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL. @param index 0 to slbcert_certificate_dns_name_count() - 1.
 *  @return DNS SAN @p index, or NULL when out of range. */
const char *slbcert_certificate_dns_name(const slbcert_certificate *certificate, size_t index);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives 0).
 *  @return the number of IP address subject alternative names. */
size_t slbcert_certificate_ip_address_count(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL. @param index 0 to slbcert_certificate_ip_address_count() - 1.
 *  @return IP SAN @p index in textual form, or NULL when out of range. */
const char *slbcert_certificate_ip_address(const slbcert_certificate *certificate, size_t index);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives NULL).
 *  @return the public key algorithm: "RSA", "EC", "Ed25519", ... */
const char *slbcert_certificate_key_algorithm(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL (which gives 0).
 *  @return the public key size in bits. */
int slbcert_certificate_key_bits(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL.
 *  @return 1 when basicConstraints says CA, 0 otherwise, -1 for NULL. */
int slbcert_certificate_is_ca(const slbcert_certificate *certificate);
/** @param certificate a certificate from slbcert_bundle_certificate(), or NULL.
 *  @return 1 when the certificate is self-signed (issuer == subject and its own key verifies it), 0 otherwise, -1 for NULL. */
int slbcert_certificate_is_self_signed(const slbcert_certificate *certificate);
/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name Credentials */
/**@{*/

/** AccessKey credentials (optionally an STS token), or a source that yields them (ECS instance role). */
typedef struct slbcert_credentials slbcert_credentials;

/**
 * Explicit credentials. The strings are copied; wipe your copies when done.
 * @param out               receives the credentials; free them with slbcert_credentials_free().
 * @param access_key_id     the AccessKeyId; not NULL or empty.
 * @param access_key_secret the AccessKeySecret; not NULL or empty.
 * @param security_token    an STS token, or NULL (or "") for a long-term AccessKey.
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p out or a NULL or empty AccessKey.
 */
int slbcert_credentials_new_static(slbcert_credentials **out, const char *access_key_id,
                                   const char *access_key_secret, const char *security_token);
/**
 * Credentials from a named profile of the aliyun CLI file (~/.aliyun/config.json) or, failing
 * that, of the credentials ini file (~/.alibabacloud/credentials or ALIBABA_CLOUD_CREDENTIALS_FILE).
 * @param out     receives the credentials; free them with slbcert_credentials_free().
 * @param profile the profile name, or NULL for ALIBABA_CLOUD_PROFILE or the file's current profile.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL @p out, ::SLBCERT_ECREDENTIALS when neither file has
 *         the profile or it cannot be used (the last error says which and why).
 */
int slbcert_credentials_new_profile(slbcert_credentials **out, const char *profile);
/**
 * Credentials from Alibaba's default chain: the environment (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET,
 * ALIBABA_CLOUD_SECURITY_TOKEN and the older ALIBABACLOUD_*, ALICLOUD_*, ALIYUN_* names), the CLI
 * profile file, the ini file, then the ECS instance role (unless ALIBABA_CLOUD_ECS_METADATA_DISABLED=true).
 * The first source that is configured is used; a configured but broken source is an error.
 * @param out receives the credentials; free them with slbcert_credentials_free().
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL @p out, ::SLBCERT_ECREDENTIALS when no source is
 *         configured or the first one is broken, or the status of a failed instance-role fetch.
 */
int slbcert_credentials_new_default(slbcert_credentials **out);
/** Frees credentials and wipes the secret. NULL is a no-op. @param credentials the credentials, or NULL. */
void slbcert_credentials_free(slbcert_credentials *credentials);
/** @param credentials credentials from a slbcert_credentials_new_*() function, or NULL (which gives NULL).
 *  @return which source supplied the credentials: "static", "environment", "profile:NAME",
 *  "ini:NAME", "ecs_ram_role:ROLE"; borrowed. */
const char *slbcert_credentials_source(const slbcert_credentials *credentials);
/** @param credentials credentials from a slbcert_credentials_new_*() function, or NULL (which gives NULL).
 *  @return the AccessKeyId currently in use (not secret); borrowed; may change after an STS refresh.
 *  NULL for NULL credentials, or when an instance-role refresh fails (the last error says why). */
const char *slbcert_credentials_access_key_id(const slbcert_credentials *credentials);
/** @param credentials credentials from a slbcert_credentials_new_*() function, or NULL (which gives NULL).
 *  @return the region the source names (a profile's region_id), or NULL; borrowed. */
const char *slbcert_credentials_region(const slbcert_credentials *credentials);
/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name Request signing, for any Alibaba Cloud RPC API */
/**@{*/

/** A signed request, ready to send. Immutable. Its strings carry the signature: do not log them as they are. */
typedef struct slbcert_signed_request slbcert_signed_request;

/** Signature versions. */
typedef enum slbcert_signature_version {
    SLBCERT_SIGNATURE_V1 = 1, /**< HMAC-SHA1, SignatureVersion=1.0 */
    SLBCERT_SIGNATURE_V3 = 3  /**< ACS3-HMAC-SHA256 */
} slbcert_signature_version;

/** Where operation parameters travel. */
typedef enum slbcert_placement {
    SLBCERT_PLACEMENT_BODY = 0, /**< the operation's parameters in an application/x-www-form-urlencoded POST body,
                                     so private keys are never in a URL; V1's common parameters (Signature,
                                     SecurityToken) stay in the query, as Alibaba's Go SDK sends them */
    SLBCERT_PLACEMENT_QUERY = 1 /**< the URL query, as the official SDKs do */
} slbcert_placement;

/** The version of ::slbcert_sign_options this header declares. */
#define SLBCERT_SIGN_OPTIONS_VERSION 1
/** Options for slbcert_sign(). */
typedef struct slbcert_sign_options {
    unsigned int version;         /**< SLBCERT_SIGN_OPTIONS_VERSION */
    int signature_version;        /**< ::slbcert_signature_version (default V1) */
    int placement;                /**< ::slbcert_placement (default BODY) */
    const char *method;           /**< "POST" (default when NULL) or "GET" */
    const char *nonce;            /**< a fixed nonce for reproducible output, or NULL for a random one */
    const char *timestamp;        /**< a fixed "yyyy-MM-ddTHH:mm:ssZ", or NULL for now */
    int v1_legacy_signature_type; /**< non-zero: V1 also sends and signs an empty SignatureType= (legacy SDK core) */
} slbcert_sign_options;
/** An initialiser of ::slbcert_sign_options: this header's version and the defaults. */
#define SLBCERT_SIGN_OPTIONS_INIT { SLBCERT_SIGN_OPTIONS_VERSION, SLBCERT_SIGNATURE_V1, SLBCERT_PLACEMENT_BODY, NULL, NULL, NULL, 0 }
/** Fills @p options with defaults. @param options the struct to fill. @param version SLBCERT_SIGN_OPTIONS_VERSION.
 *  @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p options or a version this library does not know. */
int slbcert_sign_options_init(slbcert_sign_options *options, unsigned int version);

/**
 * Signs an RPC request.
 * @param out          receives the request; free it with slbcert_signed_request_free().
 * @param credentials  the credentials (an ECS role is refreshed here when due).
 * @param action       e.g. "UploadServerCertificate".
 * @param api_version  e.g. "2014-05-15".
 * @param host         e.g. "slb.aliyuncs.com" (signed by V3).
 * @param keys         @p count parameter names (NUL-terminated UTF-8); may be NULL when @p count is 0.
 * @param values       @p count parameter values, same order.
 * @param count        the number of parameters (at most 1024). A "Format" parameter overrides V1's
 *                     default Format=JSON.
 * @param options      options, or NULL for the defaults.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL @p out, @p credentials, @p action, @p api_version or @p host,
 *         a NULL key or value, more than 1024 parameters or bad options; or the status of a failed
 *         instance-role refresh (::SLBCERT_ECREDENTIALS, ::SLBCERT_ENETWORK, ...).
 */
int slbcert_sign(slbcert_signed_request **out, const slbcert_credentials *credentials,
                 const char *action, const char *api_version, const char *host,
                 const char *const *keys, const char *const *values, size_t count,
                 const slbcert_sign_options *options);
/** Frees a signed request (and wipes it). NULL is a no-op. @param request the request, or NULL. */
void slbcert_signed_request_free(slbcert_signed_request *request);
/** @param request a request from slbcert_sign(), or NULL (which gives NULL).
 *  @return "POST" or "GET"; borrowed. */
const char *slbcert_signed_request_method(const slbcert_signed_request *request);
/** @param request a request from slbcert_sign(), or NULL (which gives NULL).
 *  @return the path and query to send, e.g. "/?Action=...&Signature=..." or "/" ; borrowed. */
const char *slbcert_signed_request_path_and_query(const slbcert_signed_request *request);
/** @param request a request from slbcert_sign(), or NULL (which gives 0).
 *  @return the number of headers to send. */
size_t slbcert_signed_request_header_count(const slbcert_signed_request *request);
/** Reads header @p index (names lower-case for V3). Each out-parameter may be NULL; strings are borrowed.
 *  @param request a request from slbcert_sign().
 *  @param index   0 to slbcert_signed_request_header_count() - 1.
 *  @param name    receives the header's name.
 *  @param value   receives its value.
 *  @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL @p request, ::SLBCERT_ERANGE for a bad index. */
int slbcert_signed_request_header(const slbcert_signed_request *request, size_t index,
                                  const char **name, const char **value);
/** @param request a request from slbcert_sign(), or NULL (which gives NULL).
 *  @return the body (form-encoded for ::SLBCERT_PLACEMENT_BODY, "" otherwise); borrowed. */
const char *slbcert_signed_request_body(const slbcert_signed_request *request);
/** @param request a request from slbcert_sign(), or NULL (which gives 0).
 *  @return the body length in bytes. */
size_t slbcert_signed_request_body_length(const slbcert_signed_request *request);
/** @param request a request from slbcert_sign(), or NULL (which gives NULL).
 *  @return V1: the string-to-sign; V3: the canonical request. The text the service echoes in
 *  SignatureDoesNotMatch. It contains parameter values (PEMs included) but no secret; borrowed. */
const char *slbcert_signed_request_string_to_sign(const slbcert_signed_request *request);
/** @param request a request from slbcert_sign(), or NULL (which gives NULL).
 *  @return the signature (base64 for V1, lower-case hex for V3); borrowed. Treat it as a secret. */
const char *slbcert_signed_request_signature(const slbcert_signed_request *request);
/**@}*/

/* ------------------------------------------------------------------------------------------------ */
/** @name The SLB client */
/**@{*/

/** A client for one region's SLB certificate API. Safe to share between threads. */
typedef struct slbcert_client slbcert_client;

/** Log levels for the log callback. */
typedef enum slbcert_log_level {
    SLBCERT_LOG_ERROR = 1,   /**< the least verbose: failures only */
    SLBCERT_LOG_WARNING = 2, /**< also retries, and problems a call worked around (a copy it could not remove) */
    SLBCERT_LOG_INFO = 3,   /**< one line per attempt: action, endpoint, status, code, RequestId, duration */
    SLBCERT_LOG_DEBUG = 4    /**< the most verbose: everything the library logs */
} slbcert_log_level;

/**
 * Receives log lines. Lines are redacted (no secret, no PEM). Called on the thread that made the call;
 * must not call back into the same client. @p line is borrowed for the duration of the call.
 * @param user_data the options' log_user_data.
 * @param level     the line's ::slbcert_log_level.
 * @param line      the line, NUL-terminated, without a trailing newline.
 */
typedef void (*slbcert_log_fn)(void *user_data, int level, const char *line);

/** The version of ::slbcert_client_options this header declares (version 2 added upload_settle_ms). */
#define SLBCERT_CLIENT_OPTIONS_VERSION 2
/**
 * Options for slbcert_client_new(). A NULL pointer or a 0 means "the default"; the library applies
 * the defaults, reads the environment and checks every range (an out-of-range value is
 * ::SLBCERT_EINVAL naming the field, never clamped). Times are in milliseconds.
 *
 * | field              | default | range                |
 * |--------------------|---------|----------------------|
 * | connect_timeout_ms | 5000    | 1 to 300000          |
 * | request_timeout_ms | 10000   | 1 to 3600000         |
 * | upload_timeout_ms  | 30000   | 1 to 3600000         |
 * | deadline_ms        | 60000   | 1 to 86400000        |
 * | upload_settle_ms   | 30000   | 1 to 3600000         |
 * | max_attempts       | 3       | 1 to 20              |
 *
 * Version 1 of this struct ends before `upload_settle_ms`; the library reads only the fields of the
 * version a caller declares.
 */
typedef struct slbcert_client_options {
    unsigned int version;                  /**< SLBCERT_CLIENT_OPTIONS_VERSION */
    const char *region_id;                 /**< e.g. "cn-hangzhou"; NULL: ALIBABA_CLOUD_REGION_ID, then the profile's */
    const char *endpoint;                  /**< a full URL ("https://127.0.0.1:8443"); NULL: SLBCERT_ENDPOINT, then
                                                derived from the region. Plain http:// only to a loopback address */
    const slbcert_credentials *credentials;/**< borrowed for the client's life (keep it until slbcert_client_free());
                                                NULL: the default chain */
    int signature_version;                 /**< ::slbcert_signature_version; 0: V1 */
    int placement;                         /**< ::slbcert_placement; default BODY */
    const char *ca_bundle;                 /**< a CA file; NULL: SLBCERT_CA_BUNDLE, ALIBABA_CLOUD_CA_BUNDLE, then the system's */
    const char *proxy;                     /**< a proxy URL; NULL: HTTPS_PROXY/https_proxy and NO_PROXY */
    int insecure_skip_tls_verification;    /**< non-zero turns off TLS peer AND host verification. Never in production. */
    long connect_timeout_ms;               /**< connecting to the endpoint */
    long request_timeout_ms;               /**< one whole describe/rename/delete request */
    long upload_timeout_ms;                /**< one whole upload request */
    int max_attempts;                      /**< attempts per call including the first; 1 disables retries */
    long deadline_ms;                      /**< one whole call: every attempt, wait and describe it makes */
    const char *user_agent_suffix;         /**< appended to "slbcert/VERSION (OS; ARCH)", or NULL; at most 256
                                                bytes, no control characters */
    slbcert_log_fn log_fn;                 /**< or NULL: nothing is logged */
    void *log_user_data;                   /**< passed to @p log_fn */
    int log_level;                         /**< the most verbose ::slbcert_log_level passed on; default INFO */
    long upload_settle_ms;                 /**< (version 2) how long after sending an upload whose answer was
                                                lost the service may still store it: no second upload is sent
                                                before this has passed */
} slbcert_client_options;
/** An initialiser of ::slbcert_client_options: this header's version, every field "the default". */
#define SLBCERT_CLIENT_OPTIONS_INIT { SLBCERT_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, NULL, NULL, 0, \
                                      0, 0, 0, 0, 0, NULL, NULL, NULL, 0, 0 }
/** Fills @p options with defaults, writing only the fields that @p version has.
 *  @param options the struct to fill. @param version 1 to SLBCERT_CLIENT_OPTIONS_VERSION.
 *  @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p options or a version this library does not know. */
int slbcert_client_options_init(slbcert_client_options *options, unsigned int version);

/**
 * Reads one row of the table above from the library itself (for bindings and tools that quote or
 * convert the limits, e.g. into seconds). Each out-parameter may be NULL.
 * @param field         a numeric field of ::slbcert_client_options, e.g. "deadline_ms" or "max_attempts".
 * @param default_value receives the value 0 stands for.
 * @param minimum       receives the smallest accepted value.
 * @param maximum       receives the largest accepted value.
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for NULL or a field that is not a numeric option.
 */
int slbcert_client_option_range(const char *field, long *default_value, long *minimum, long *maximum);

/** Creates a client. With NULL credentials the default chain is resolved here (::SLBCERT_ECREDENTIALS when none).
 *  @param out     receives the client; free it with slbcert_client_free().
 *  @param options the options; not NULL (start from SLBCERT_CLIENT_OPTIONS_INIT or slbcert_client_options_init()).
 *  @return ::SLBCERT_OK; ::SLBCERT_EINVAL for a NULL argument, an unknown version or an out-of-range field
 *          (slbcert_last_error_argument() names it); ::SLBCERT_ECREDENTIALS. */
int slbcert_client_new(slbcert_client **out, const slbcert_client_options *options);
/** Frees a client and its connections. NULL is a no-op. No call may be running on it.
 *  @param client the client, or NULL. */
void slbcert_client_free(slbcert_client *client);
/** @param client a client from slbcert_client_new(), or NULL (which gives NULL).
 *  @return the endpoint URL the client talks to; borrowed. */
const char *slbcert_client_endpoint(const slbcert_client *client);
/** @param client a client from slbcert_client_new(), or NULL (which gives NULL).
 *  @return the region the client works in; borrowed. */
const char *slbcert_client_region(const slbcert_client *client);

/** A server certificate as the service describes it. Borrowed from its list or upload result. */
typedef struct slbcert_server_certificate slbcert_server_certificate;
/** A list of server certificates (from describe). */
typedef struct slbcert_certificate_list slbcert_certificate_list;
/** The result of an upload. */
typedef struct slbcert_upload_result slbcert_upload_result;

/** How an upload ended (slbcert_upload_result_outcome()). */
typedef enum slbcert_upload_outcome {
    SLBCERT_UPLOAD_UPLOADED = 1,  /**< this call stored the certificate */
    SLBCERT_UPLOAD_FOUND = 2,     /**< a copy was already stored (or an earlier attempt of this call stored it) */
    SLBCERT_UPLOAD_CONVERGED = 3  /**< this call stored a copy, found an older one of another caller, removed its own */
} slbcert_upload_outcome;

/** The version of ::slbcert_upload_options this header declares. */
#define SLBCERT_UPLOAD_OPTIONS_VERSION 1
/** Options for the upload calls. */
typedef struct slbcert_upload_options {
    unsigned int version;           /**< SLBCERT_UPLOAD_OPTIONS_VERSION */
    const char *name;               /**< ServerCertificateName, or NULL (1-80 chars, starts with a letter) */
    const char *resource_group_id;  /**< or NULL */
    const char *const *tag_keys;    /**< @p tag_count tag keys, or NULL */
    const char *const *tag_values;  /**< @p tag_count tag values */
    size_t tag_count;               /**< at most 20 */
    int no_ensure;                  /**< non-zero: skip the duplicate check and upload unconditionally */
    int send_as_is;                 /**< non-zero: send the PEMs as given instead of normalised */
} slbcert_upload_options;
/** An initialiser of ::slbcert_upload_options: this header's version and the defaults. */
#define SLBCERT_UPLOAD_OPTIONS_INIT { SLBCERT_UPLOAD_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0, 0, 0 }
/** Fills @p options with defaults. @param options the struct to fill. @param version SLBCERT_UPLOAD_OPTIONS_VERSION.
 *  @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p options or a version this library does not know. */
int slbcert_upload_options_init(slbcert_upload_options *options, unsigned int version);

/**
 * Uploads a bundle, duplicate-safely unless options->no_ensure:
 * - a certificate with the bundle's fingerprint already stored in the region is returned and
 *   nothing is uploaded;
 * - after a request whose answer was lost (timeout, connection lost), no second request is sent
 *   until the first can no longer be stored (`upload_settle_ms` after it was sent); meanwhile the
 *   region is polled, and the copy showing up ends the wait. When the deadline ends first the call
 *   fails with ::SLBCERT_EUNCONFIRMED, never with a second upload;
 * - concurrent callers (threads, processes, machines) converge: each returns the oldest copy and
 *   deletes only the copy it stored itself. Threads of one process are serialised per certificate.
 * Without ensure, a failure whose outcome is unknown is never retried.
 * A bundle with an error finding is refused with ::SLBCERT_EVALIDATION before anything is sent.
 * @param out     receives the result; free it with slbcert_upload_result_free().
 * @param client  the client.
 * @param bundle  the certificate chain and key (slbcert_bundle_parse()).
 * @param options name, tags and behaviour, or NULL for the defaults.
 * @return ::SLBCERT_OK; ::SLBCERT_EINVAL for a NULL argument or bad options; ::SLBCERT_EVALIDATION (nothing
 *         was sent); ::SLBCERT_EUNCONFIRMED (see above); otherwise the status of the failure (::SLBCERT_ESERVICE, ::SLBCERT_ENETWORK, ::SLBCERT_ETLS,
 *         ::SLBCERT_ETIMEOUT, ::SLBCERT_EPROTOCOL, ::SLBCERT_ECREDENTIALS), details in the last error.
 */
int slbcert_client_upload(slbcert_upload_result **out, slbcert_client *client,
                          const slbcert_bundle *bundle, const slbcert_upload_options *options);
/**
 * Uploads a reference to a certificate held by Alibaba Cloud Certificate Management Service.
 * @param out                  receives the result; free it with slbcert_upload_result_free().
 * @param client               the client.
 * @param cas_certificate_id   the certificate's id in CAS (AliCloudCertificateId); not NULL or empty.
 * @param cas_certificate_name its name in CAS (AliCloudCertificateName), or NULL.
 * @param cas_region_id        the certificate's region in CAS, or NULL.
 * @param options              name, tags and behaviour, or NULL for the defaults.
 * @return ::SLBCERT_OK; ::SLBCERT_EINVAL for a NULL argument or bad options; ::SLBCERT_EUNCONFIRMED (see
 *         above); otherwise the status of the failure (::SLBCERT_ESERVICE, ::SLBCERT_ENETWORK, ::SLBCERT_ETLS,
 *         ::SLBCERT_ETIMEOUT, ::SLBCERT_EPROTOCOL, ::SLBCERT_ECREDENTIALS), details in the last error.
 */
int slbcert_client_upload_cas(slbcert_upload_result **out, slbcert_client *client,
                              const char *cas_certificate_id, const char *cas_certificate_name,
                              const char *cas_region_id, const slbcert_upload_options *options);
/** Frees an upload result. NULL is a no-op. @param result the result, or NULL. */
void slbcert_upload_result_free(slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL (which gives NULL).
 *  @return the stored certificate (new or existing); borrowed. */
const slbcert_server_certificate *slbcert_upload_result_certificate(const slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL.
 *  @return 1 when the returned certificate is the one this call stored (::SLBCERT_UPLOAD_UPLOADED), 0 otherwise, -1 for NULL. */
int slbcert_upload_result_uploaded(const slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL (which gives NULL).
 *  @return every certificate the account holds in the region, from the duplicate check's last describe;
 *  borrowed; an empty list when the duplicate check was skipped. */
const slbcert_certificate_list *slbcert_upload_result_region_certificates(const slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL.
 *  @return how the upload ended: a ::slbcert_upload_outcome, or -1 for NULL. */
int slbcert_upload_result_outcome(const slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL.
 *  @return the number of copies this call stored and then deleted while converging (0 for NULL). */
size_t slbcert_upload_result_removed_count(const slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL. @param index 0 to slbcert_upload_result_removed_count() - 1.
 *  @return the id of removed copy @p index, borrowed; NULL when out of range. */
const char *slbcert_upload_result_removed(const slbcert_upload_result *result, size_t index);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL.
 *  @return the number of other copies with the same fingerprint still stored, which this call did not
 *  create and so left alone (0 for NULL). */
size_t slbcert_upload_result_duplicate_count(const slbcert_upload_result *result);
/** @param result a result from slbcert_client_upload() or slbcert_client_upload_cas(), or NULL. @param index 0 to slbcert_upload_result_duplicate_count() - 1.
 *  @return the id of duplicate @p index, borrowed; NULL when out of range. */
const char *slbcert_upload_result_duplicate(const slbcert_upload_result *result, size_t index);

/** The version of ::slbcert_describe_options this header declares. */
#define SLBCERT_DESCRIBE_OPTIONS_VERSION 1
/** Filters for slbcert_client_describe(). */
typedef struct slbcert_describe_options {
    unsigned int version;            /**< SLBCERT_DESCRIBE_OPTIONS_VERSION */
    const char *server_certificate_id; /**< or NULL */
    const char *resource_group_id;   /**< or NULL */
    const char *const *tag_keys;     /**< @p tag_count tag keys, or NULL */
    const char *const *tag_values;   /**< @p tag_count tag values */
    size_t tag_count;                /**< at most 20 */
} slbcert_describe_options;
/** An initialiser of ::slbcert_describe_options: this header's version, no filter. */
#define SLBCERT_DESCRIBE_OPTIONS_INIT { SLBCERT_DESCRIBE_OPTIONS_VERSION, NULL, NULL, NULL, NULL, 0 }
/** Fills @p options with defaults. @param options the struct to fill. @param version SLBCERT_DESCRIBE_OPTIONS_VERSION.
 *  @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL @p options or a version this library does not know. */
int slbcert_describe_options_init(slbcert_describe_options *options, unsigned int version);

/** Lists the region's server certificates.
 *  @param out     receives the list; free it with slbcert_certificate_list_free().
 *  @param client  the client.
 *  @param options filters, or NULL for all.
 *  @return ::SLBCERT_OK; ::SLBCERT_EINVAL for a NULL argument; otherwise the status of the failure
 *  (::SLBCERT_ESERVICE with the service's Code, ::SLBCERT_ENETWORK, ::SLBCERT_ETIMEOUT, ...), details in the last error. */
int slbcert_client_describe(slbcert_certificate_list **out, slbcert_client *client,
                            const slbcert_describe_options *options);
/** Renames a certificate.
 *  @param client                the client.
 *  @param server_certificate_id the ServerCertificateId.
 *  @param name                  the new ServerCertificateName (1-80 characters, starts with a letter).
 *  @return ::SLBCERT_OK; ::SLBCERT_EINVAL for a NULL argument; otherwise the status of the failure
 *  (::SLBCERT_ESERVICE with the service's Code, ::SLBCERT_ENETWORK, ::SLBCERT_ETIMEOUT, ...), details in the last error. */
int slbcert_client_rename(slbcert_client *client, const char *server_certificate_id, const char *name);
/** Deletes a certificate (::SLBCERT_ESERVICE with Code CertificateAndPrivateKeyIsRefered when in use).
 *  @param client                the client.
 *  @param server_certificate_id the ServerCertificateId.
 *  @return ::SLBCERT_OK; ::SLBCERT_EINVAL for a NULL argument; otherwise the status of the failure
 *  (::SLBCERT_ESERVICE with the service's Code, ::SLBCERT_ENETWORK, ::SLBCERT_ETIMEOUT, ...), details in the last error. */
int slbcert_client_delete(slbcert_client *client, const char *server_certificate_id);

/** Frees a list. NULL is a no-op. @param list the list, or NULL. */
void slbcert_certificate_list_free(slbcert_certificate_list *list);
/** @param list a list from slbcert_client_describe() or slbcert_upload_result_region_certificates(), or NULL.
 *  @return the number of certificates in the list (0 for NULL). */
size_t slbcert_certificate_list_count(const slbcert_certificate_list *list);
/** @param list a list from slbcert_client_describe() or slbcert_upload_result_region_certificates(), or NULL. @param index 0 to slbcert_certificate_list_count() - 1.
 *  @return certificate @p index, borrowed; NULL when out of range. */
const slbcert_server_certificate *slbcert_certificate_list_get(const slbcert_certificate_list *list, size_t index);
/** @param list a list from slbcert_client_describe() or slbcert_upload_result_region_certificates(), or NULL (which gives NULL).
 *  @return the RequestId of the call that produced the list, or "". */
const char *slbcert_certificate_list_request_id(const slbcert_certificate_list *list);

/* Getters of a server certificate; strings are borrowed and "" when the service sent none. */
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the ServerCertificateId. */
const char *slbcert_server_certificate_id(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the ServerCertificateName. */
const char *slbcert_server_certificate_name(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the service's Fingerprint (SHA-1, lower-case hex with ':'). */
const char *slbcert_server_certificate_fingerprint(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the CommonName of the certificate. */
const char *slbcert_server_certificate_common_name(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives 0).
 *  @return the number of SubjectAlternativeNames. */
size_t slbcert_server_certificate_san_count(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL. @param index 0 to slbcert_server_certificate_san_count() - 1.
 *  @return SubjectAlternativeName @p index, or NULL when out of range. */
const char *slbcert_server_certificate_san(const slbcert_server_certificate *certificate, size_t index);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return CreateTime, when the certificate was uploaded, as the service writes it. */
const char *slbcert_server_certificate_create_time(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives 0).
 *  @return CreateTimeStamp, in milliseconds since the Unix epoch. */
int64_t slbcert_server_certificate_create_time_ms(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return ExpireTime, the certificate's notAfter, as the service writes it. */
const char *slbcert_server_certificate_expire_time(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives 0).
 *  @return ExpireTimeStamp, in milliseconds since the Unix epoch. */
int64_t slbcert_server_certificate_expire_time_ms(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL.
 *  @return 1 for a Certificate Management Service reference, 0 otherwise, -1 for NULL. */
int slbcert_server_certificate_is_alicloud(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the Certificate Management Service certificate's id (AliCloudCertificateId). */
const char *slbcert_server_certificate_alicloud_id(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return its name there (AliCloudCertificateName). */
const char *slbcert_server_certificate_alicloud_name(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the RegionId the certificate is stored in. */
const char *slbcert_server_certificate_region_id(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the RegionIdAlias. */
const char *slbcert_server_certificate_region_id_alias(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the ResourceGroupId. */
const char *slbcert_server_certificate_resource_group_id(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives NULL).
 *  @return the RequestId of the call that returned this certificate, or "". */
const char *slbcert_server_certificate_request_id(const slbcert_server_certificate *certificate);
/** @param certificate a certificate from a list or an upload result, or NULL (which gives 0).
 *  @return the number of tags. */
size_t slbcert_server_certificate_tag_count(const slbcert_server_certificate *certificate);
/** Reads tag @p index. Each out-parameter may be NULL; strings are borrowed.
 *  @param certificate a certificate from a list or an upload result.
 *  @param index       0 to slbcert_server_certificate_tag_count() - 1.
 *  @param key         receives the tag's key.
 *  @param value       receives its value.
 *  @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL @p certificate, ::SLBCERT_ERANGE for a bad index. */
int slbcert_server_certificate_tag(const slbcert_server_certificate *certificate, size_t index,
                                   const char **key, const char **value);

/**
 * Whole days left before a certificate expires (its ExpireTimeStamp), rounded down: 9.5 days left is
 * 9, half a day after expiry is -1.
 * @param certificate a certificate of a list or an upload result.
 * @param now_ms      the instant to count from, in ms since the epoch; 0: the system clock.
 * @param days        receives the days left (negative once expired).
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for a NULL argument or a negative @p now_ms.
 */
int slbcert_server_certificate_days_left(const slbcert_server_certificate *certificate, int64_t now_ms, int64_t *days);

/**
 * Lists the region's certificates that expire within @p within_days days (fewer whole days left than
 * that, expired ones included), soonest first: describe, filtered for expiry monitoring.
 * @param out          receives the list; free it with slbcert_certificate_list_free().
 * @param client       the client.
 * @param within_days  0 to 36500.
 * @param now_ms       the instant to count from, in ms since the epoch; 0: the system clock.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a bad argument, or the describe's failure.
 */
int slbcert_client_expiring(slbcert_certificate_list **out, slbcert_client *client, int within_days, int64_t now_ms);
/* Deploy: put a certificate on every listener and SNI domain that needs it, verify, roll back. */

/** What a deploy or a rollback did (slbcert_client_deploy(), slbcert_client_rollback()). Immutable. */
typedef struct slbcert_deploy_report slbcert_deploy_report;

/** How a deploy or rollback ended (slbcert_deploy_report_outcome()). */
typedef enum slbcert_deploy_outcome {
    SLBCERT_DEPLOY_DEPLOYED = 1,          /**< every binding that needed it uses the new certificate, verified */
    SLBCERT_DEPLOY_ALREADY_DEPLOYED = 2,  /**< nothing needed switching: the bindings already use it */
    SLBCERT_DEPLOY_NOTHING_TO_DEPLOY = 3, /**< no binding uses a certificate it replaces, and it is bound nowhere */
    SLBCERT_DEPLOY_ROLLED_BACK = 4,       /**< a step failed and every switched binding is back on its old certificate
                                               (for slbcert_client_rollback(): everything is back) */
    SLBCERT_DEPLOY_PARTIAL = 5,           /**< a step failed and not everything could be put back: the bindings
                                               whose result is ::SLBCERT_BINDING_FAILED are left as they are */
    SLBCERT_DEPLOY_PLANNED = 6            /**< a dry run: the bindings whose result is ::SLBCERT_BINDING_PLANNED
                                               would be switched */
} slbcert_deploy_outcome;

/** What happened to one binding (slbcert_deploy_report_binding()). */
typedef enum slbcert_binding_result {
    SLBCERT_BINDING_SWITCHED = 1,    /**< now on the new certificate */
    SLBCERT_BINDING_UNCHANGED = 2,   /**< already on the new certificate; nothing was sent */
    SLBCERT_BINDING_ROLLED_BACK = 3, /**< switched (or tried) and back on its old certificate */
    SLBCERT_BINDING_FAILED = 4,      /**< could not be put back: left on the new certificate or in an unknown state */
    SLBCERT_BINDING_SKIPPED = 5,     /**< on an instance Kubernetes' cloud controller manages: not touched */
    SLBCERT_BINDING_PLANNED = 6,     /**< a dry run would switch it */
    SLBCERT_BINDING_PENDING = 7      /**< not attempted because an earlier step failed: still on its old certificate */
} slbcert_binding_result;

/** The version of ::slbcert_deploy_options this header declares. */
#define SLBCERT_DEPLOY_OPTIONS_VERSION 1
/**
 * Options for slbcert_client_deploy(). Zero and NULL mean "the default". The time budgets
 * (milliseconds; each 1 to 3600000; slbcert_deploy_option_range() reads the defaults):
 *
 * | field               | default | what it bounds                                                  |
 * |---------------------|---------|-----------------------------------------------------------------|
 * | busy_timeout_ms     | 180000  | waiting out an instance's busy answers (ServiceIsConfiguring...) |
 * | rollback_timeout_ms | 300000  | the same while putting bindings back after a failure            |
 * | reference_timeout_ms| 180000  | a delete waiting out a reference that outlives the unbind       |
 * | tls_timeout_ms      | 30000   | the TLS check polling until the new certificate is served       |
 */
typedef struct slbcert_deploy_options {
    unsigned int version;                  /**< SLBCERT_DEPLOY_OPTIONS_VERSION */
    const char *const *replace_ids;        /**< @p replace_count ServerCertificateIds to replace, or NULL: every other
                                                certificate of the region whose names (CN and DNS SANs) the new one
                                                covers, unless it expires later than the new one */
    size_t replace_count;                  /**< at most 100 */
    const char *const *load_balancer_ids;  /**< @p load_balancer_count LoadBalancerIds to work on, or NULL: all of
                                                the region */
    size_t load_balancer_count;            /**< at most 100 */
    int delete_old;                        /**< non-zero: after a verified deploy, delete the replaced certificates
                                                nothing references any more (the only step with no way back) */
    int verify_tls;                        /**< non-zero: also check by TLS handshake what each listener serves */
    int force_managed;                     /**< non-zero: also switch instances Kubernetes' cloud controller manages */
    int dry_run;                           /**< non-zero: plan only; upload nothing, change nothing */
    const char *journal_path;              /**< the journal file, or NULL: one in the state directory
                                                ($SLBCERT_STATE_DIR, $STATE_DIRECTORY, $XDG_STATE_HOME/slbcert or
                                                ~/.local/state/slbcert, in its deploy/ folder) */
    const char *name;                      /**< ServerCertificateName for the upload, or NULL */
    long busy_timeout_ms;                  /**< see the table above */
    long rollback_timeout_ms;              /**< see the table above */
    long reference_timeout_ms;             /**< see the table above */
    long tls_timeout_ms;                   /**< see the table above */
} slbcert_deploy_options;
/** An initialiser of ::slbcert_deploy_options: this header's version, every field "the default". */
#define SLBCERT_DEPLOY_OPTIONS_INIT { SLBCERT_DEPLOY_OPTIONS_VERSION, NULL, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0 }
/**
 * Fills @p options with defaults.
 * @param options the struct to fill.
 * @param version SLBCERT_DEPLOY_OPTIONS_VERSION (or an older version: only its fields are written).
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for NULL or an unknown version.
 */
int slbcert_deploy_options_init(slbcert_deploy_options *options, unsigned int version);

/**
 * Reads one row of the budget table above from the library itself. Each out-parameter may be NULL.
 * @param field         "busy_timeout_ms", "rollback_timeout_ms", "reference_timeout_ms" or "tls_timeout_ms".
 * @param default_value receives the value 0 stands for.
 * @param minimum       receives the smallest accepted value.
 * @param maximum       receives the largest accepted value.
 * @return ::SLBCERT_OK, or ::SLBCERT_EINVAL for NULL or another name.
 */
int slbcert_deploy_option_range(const char *field, long *default_value, long *minimum, long *maximum);

/**
 * Deploys a certificate: uploads it duplicate-safely, then switches every HTTPS listener default
 * certificate and every SNI domain extension that uses a certificate it replaces, one at a time
 * with the minimal parameters (waiting out busy answers within busy_timeout_ms), recording each
 * switch in the journal (JSON lines, fsync'd) before the next. Then it reads every switched
 * listener back (the new id is there; any other attribute the switch changed is set back alone and
 * reported as drift) and, with verify_tls, makes a TLS handshake with each listener for each
 * extension's domain and for a name no extension matches, comparing the served leaf's SHA-1 with
 * the new certificate's (an unreachable listener is reported, not a failure). When a step fails,
 * every switched binding is put back and checked. With delete_old, the replaced certificates
 * nothing references any more are deleted, last.
 *
 * A run that was killed is completed by the same deploy again: it finds the unfinished journal of
 * the same region and certificate (or the one at journal_path) and continues it.
 *
 * @param out     receives the report whenever a binding may have changed, including when a step
 *                failed (outcome ::SLBCERT_DEPLOY_ROLLED_BACK or ::SLBCERT_DEPLOY_PARTIAL, with
 *                slbcert_deploy_report_failure_status() saying why); free it with slbcert_deploy_report_free().
 * @param client  the client; its region is the deploy's.
 * @param bundle  the certificate and its key; an error finding, or a leaf outside its validity now,
 *                is ::SLBCERT_EVALIDATION before anything is sent.
 * @param options options, or NULL for the defaults.
 * @return ::SLBCERT_OK with a report; or, with nothing changed and *out NULL: ::SLBCERT_EREFUSED for an
 *         unsafe plan (an SNI domain the certificate does not cover, a load balancer or replaced id
 *         not in the region, a locked instance: slbcert_last_error_reason() says which),
 *         ::SLBCERT_EVALIDATION, ::SLBCERT_EINVAL (bad options, an unusable journal), or the status of
 *         the request that failed while planning.
 */
int slbcert_client_deploy(slbcert_deploy_report **out, slbcert_client *client, const slbcert_bundle *bundle,
                          const slbcert_deploy_options *options);

/**
 * Puts every binding a deploy journal records back on the certificate it had before the deploy,
 * reading each listener first (a binding already back needs nothing; one someone else changed since
 * is left alone and reported as failed) and again after. Running it again is harmless. Certificates
 * the deploy deleted cannot come back.
 * @param out          receives the report (outcome ::SLBCERT_DEPLOY_ROLLED_BACK or ::SLBCERT_DEPLOY_PARTIAL);
 *                     free it with slbcert_deploy_report_free().
 * @param client       a client of the journal's region.
 * @param journal_path the journal a deploy wrote (slbcert_deploy_report_journal()).
 * @return ::SLBCERT_OK with a report, or ::SLBCERT_EINVAL for a journal that cannot be read, is not a
 *         deploy journal, is of another region or is in use by another run.
 */
int slbcert_client_rollback(slbcert_deploy_report **out, slbcert_client *client, const char *journal_path);

/** Frees a report. NULL is a no-op. @param report the report. */
void slbcert_deploy_report_free(slbcert_deploy_report *report);
/** @param report the report. @return its ::slbcert_deploy_outcome, or -1 for NULL. */
int slbcert_deploy_report_outcome(const slbcert_deploy_report *report);
/** @param report the report. @return the outcome as the JSON names it ("deployed", "already-deployed",
 *  "nothing-to-deploy", "rolled-back", "partial", "planned"); borrowed; NULL for NULL. */
const char *slbcert_deploy_report_outcome_name(const slbcert_deploy_report *report);
/** @param report the report. @return the new certificate's ServerCertificateId ("" in a dry run of a
 *  certificate not stored yet); borrowed; NULL for NULL. */
const char *slbcert_deploy_report_certificate_id(const slbcert_deploy_report *report);
/** @param report the report. @return its SHA-1 fingerprint (lower-case hex with ':'); borrowed; NULL for NULL. */
const char *slbcert_deploy_report_certificate_fingerprint(const slbcert_deploy_report *report);
/** @param report the report. @return 1 when this deploy (or the earlier run of its journal) uploaded it, 0 when
 *  it was already stored, -1 for NULL. */
int slbcert_deploy_report_certificate_uploaded(const slbcert_deploy_report *report);
/** @param report the report. @return the number of certificates the new one replaces (0 for NULL). */
size_t slbcert_deploy_report_replaced_count(const slbcert_deploy_report *report);
/** @param report the report. @param index from 0. @return replaced id @p index, borrowed; NULL when out of range. */
const char *slbcert_deploy_report_replaced(const slbcert_deploy_report *report, size_t index);
/** @param report the report. @return the number of bindings (listener defaults and domain extensions) (0 for NULL). */
size_t slbcert_deploy_report_binding_count(const slbcert_deploy_report *report);
/**
 * Reads binding @p index. Each out-parameter may be NULL; strings are borrowed from the report.
 * @param report              the report.
 * @param index               from 0.
 * @param load_balancer_id    receives the LoadBalancerId.
 * @param listener_port       receives the ListenerPort.
 * @param domain_extension_id receives the DomainExtensionId, or NULL for the listener's default certificate.
 * @param domain              receives the extension's domain, or NULL for the default certificate.
 * @param from                receives the certificate it used before the deploy.
 * @param to                  receives the certificate the deploy puts there ("" in a dry run of a certificate
 *                            not stored yet).
 * @param result              receives a ::slbcert_binding_result.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL report, ::SLBCERT_ERANGE for a bad index.
 */
int slbcert_deploy_report_binding(const slbcert_deploy_report *report, size_t index, const char **load_balancer_id,
                                  long *listener_port, const char **domain_extension_id, const char **domain,
                                  const char **from, const char **to, int *result);
/** @param report the report. @return the number of TLS handshakes made (0 for NULL or without verify_tls). */
size_t slbcert_deploy_report_verified_count(const slbcert_deploy_report *report);
/**
 * Reads TLS check @p index. Each out-parameter may be NULL; strings are borrowed from the report.
 * @param report      the report.
 * @param index       from 0.
 * @param address     receives the listener's address.
 * @param port        receives its port.
 * @param server_name receives the SNI name sent, or NULL when none was.
 * @param fingerprint receives the served leaf's SHA-1, or NULL when the listener was unreachable.
 * @param ok          receives 1 when the new certificate was served, 0 otherwise.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL report, ::SLBCERT_ERANGE for a bad index.
 */
int slbcert_deploy_report_verified(const slbcert_deploy_report *report, size_t index, const char **address, long *port,
                                   const char **server_name, const char **fingerprint, int *ok);
/** @param report the report. @return the number of certificates deleted (delete_old) (0 for NULL). */
size_t slbcert_deploy_report_deleted_count(const slbcert_deploy_report *report);
/** @param report the report. @param index from 0. @return deleted id @p index, borrowed; NULL when out of range. */
const char *slbcert_deploy_report_deleted(const slbcert_deploy_report *report, size_t index);
/** @param report the report. @return the journal file, borrowed; NULL when nothing was changed (or for NULL). */
const char *slbcert_deploy_report_journal(const slbcert_deploy_report *report);
/** @param report the report. @return the number of drifted attributes (0 for NULL). */
size_t slbcert_deploy_report_drift_count(const slbcert_deploy_report *report);
/**
 * Reads drift @p index: a listener attribute a switch changed although it was not sent. Each
 * out-parameter may be NULL; strings are borrowed from the report.
 * @param report           the report.
 * @param index            from 0.
 * @param load_balancer_id receives the LoadBalancerId.
 * @param listener_port    receives the ListenerPort.
 * @param attribute        receives the attribute's name, e.g. "HealthCheckDomain".
 * @param expected         receives its value before the switch (sent back).
 * @param found            receives the value read after the switch.
 * @param restored         receives 1 when sending it back restored it, 0 otherwise.
 * @return ::SLBCERT_OK, ::SLBCERT_EINVAL for a NULL report, ::SLBCERT_ERANGE for a bad index.
 */
int slbcert_deploy_report_drift(const slbcert_deploy_report *report, size_t index, const char **load_balancer_id,
                                long *listener_port, const char **attribute, const char **expected, const char **found,
                                int *restored);
/** @param report the report. @return the number of warnings (skipped instances, unreachable listeners,
 *  certificates not deleted) (0 for NULL). */
size_t slbcert_deploy_report_warning_count(const slbcert_deploy_report *report);
/** @param report the report. @param index from 0. @return warning @p index, a sentence; borrowed; NULL when out of range. */
const char *slbcert_deploy_report_warning(const slbcert_deploy_report *report, size_t index);
/** @param report the report. @return the status of the step that failed (outcomes ROLLED_BACK of a deploy and
 *  PARTIAL), or ::SLBCERT_OK when none did (and for NULL). */
int slbcert_deploy_report_failure_status(const slbcert_deploy_report *report);
/** @param report the report. @return what failed, a sentence ("" when nothing did); borrowed; NULL for NULL. */
const char *slbcert_deploy_report_failure_message(const slbcert_deploy_report *report);
/** @param report the report. @return the failed step's service Code (e.g. "ServiceIsConfiguring"), or ""; borrowed. */
const char *slbcert_deploy_report_failure_service_code(const slbcert_deploy_report *report);
/** @param report the report. @return the failed step's reason (slbcert_last_error_reason()'s codes, e.g.
 *  "STILL_BUSY", "VERIFICATION_FAILED"), or ""; borrowed. */
const char *slbcert_deploy_report_failure_reason(const slbcert_deploy_report *report);
/** @param report the report. @return the failed request's RequestId, or ""; borrowed. */
const char *slbcert_deploy_report_failure_request_id(const slbcert_deploy_report *report);
/** @param report the report. @return the report as the JSON object `slbcert deploy --json` prints
 *  (Outcome, Certificate, Replaced, Bindings, Verified, Deleted, Journal); borrowed; NULL for NULL. */
const char *slbcert_deploy_report_json(const slbcert_deploy_report *report);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* SLBCERT_H */
