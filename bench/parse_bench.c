/* Bundles parsed and checked per second through the public C API, for bench/parse_bench.py --extra.
 *
 * slbcert rows: slbcert_bundle_parse() of a chain and its key, then everything a caller reads back: every
 * finding, every fact of every certificate (fingerprints, names, serial, dates, SANs, key, CA and
 * self-signed flags), the key's facts and both normalised PEMs; then slbcert_bundle_free().
 * Floor rows: the OpenSSL operations those checks cannot avoid, timed alone over the same input:
 *   the base64 of the inputs decoded and of the outputs (every certificate, the PKCS#1 key) encoded,
 *   SHA-1 and SHA-256 of every certificate, one signature verification per link and one for a
 *   self-signed root (each with its issuer's RSA key made afresh from the certificate's bytes, as
 *   every new bundle needs), and for an encrypted key its PBKDF2 and its AES-CBC decryption.
 * Floor+DER rows: the floor plus the DER decoding no check can skip either: d2i_X509 of every
 *   certificate into a library context without decoders (its structure; the key is the floor's), and
 *   d2i_RSAPrivateKey of the key (its PKCS#8 wrapping and decryption first, when it has them).
 * Rates are per second of this process's CPU time (getrusage RUSAGE_SELF, user + sys).
 *
 * Input: --rows FILE, one row per line: LABEL<TAB>CHAIN_FILE<TAB>KEY_FILE<TAB>PASSPHRASE_FILE or "-".
 * The chain files are leaf first, each certificate issued by the next, as parse_bench.py writes them.
 * Output: "slbcert<TAB>LABEL<TAB>RATE", "floor<TAB>LABEL<TAB>RATE" and "floor+der<TAB>LABEL<TAB>RATE" lines;
 * '#' lines are facts.
 * Usage: parse_bench --rows FILE [--seconds S] [--only LABEL] [--profile LABEL N]
 *        (--only measures that row alone; --profile makes exactly N slbcert_bundle_parse calls of that row
 *        and prints nothing else, for perf record or valgrind --tool=callgrind)
 * Build: cc -O2 -std=c11 bench/parse_bench.c $(pkg-config --cflags --libs slbcert libcrypto) */
#define _POSIX_C_SOURCE 200809L
#define OPENSSL_SUPPRESS_DEPRECATED /* the floor builds RSA keys the cheapest way OpenSSL 3 still has */
#include <slbcert.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_support.h"

#define MAX_CERTS 8
#define MAX_ROWS 64

static void *must(void *p) {
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

/* ------------------------------------------------------------------------------------ one row */
struct row {
    char label[128];
    char *chain, *key, *passphrase;
    size_t chain_len, key_len, passphrase_len;
    /* Prepared for the floor (outside the timed loop): each PEM body without line breaks, the DER, the
     * to-be-signed bytes and signature of each certificate, the encrypted key's parameters. */
    int count;
    char *cert_base64[MAX_CERTS], *key_base64;
    unsigned char *cert_der[MAX_CERTS];
    int cert_der_len[MAX_CERTS];
    const unsigned char *tbs[MAX_CERTS];
    long tbs_len[MAX_CERTS];
    X509 *x509[MAX_CERTS];
    int root_self_signed;
    int encrypted;
    unsigned char salt[64];
    int salt_len, iterations, key_bytes;
    const EVP_MD *prf;
    const EVP_CIPHER *cipher;
    unsigned char iv[16];
    unsigned char *ciphertext;
    int ciphertext_len;
    unsigned char *key_der;
    int key_der_len;
    unsigned char *pkcs1_der; /* what the key normalises to */
    int pkcs1_der_len;
    volatile size_t sink;
};

/* The base64 body of the `index`-th PEM block of `text`, line breaks removed. */
static char *pem_body(const char *text, int index) {
    const char *p = text;
    for (int i = 0; i <= index; i++) {
        p = strstr(p, "-----BEGIN ");
        if (!p) return NULL;
        p = strchr(p, '\n') + 1;
    }
    const char *end = strstr(p, "-----END ");
    char *out = must(malloc((size_t)(end - p) + 1)), *o = out;
    for (; p < end; p++) if (*p != '\n' && *p != '\r') *o++ = *p;
    *o = '\0';
    return out;
}

static unsigned char *base64_decode(const char *text, int *length) {
    size_t n = strlen(text);
    unsigned char *out = must(malloc(n / 4 * 3 + 3));
    int decoded = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
    if (decoded < 0) { fprintf(stderr, "bad base64\n"); exit(2); }
    while (n > 0 && text[n - 1] == '=') { decoded--; n--; }
    *length = decoded;
    return out;
}

/* The TLV that follows the header at `*p` (inside a constructed element); advances *p past it. */
static const unsigned char *next_tlv(const unsigned char **p, long available, long *total) {
    const unsigned char *start = *p;
    long len; int tag, cls;
    if (ASN1_get_object(p, &len, &tag, &cls, available) & 0x80) { fprintf(stderr, "bad DER\n"); exit(2); }
    *total = (*p - start) + len;
    *p += len;
    return start;
}

static void prepare(struct row *r) {
    for (r->count = 0; r->count < MAX_CERTS; r->count++) {
        char *body = pem_body(r->chain, r->count);
        if (!body) break;
        int i = r->count;
        r->cert_base64[i] = body;
        r->cert_der[i] = base64_decode(body, &r->cert_der_len[i]);
        const unsigned char *p = r->cert_der[i];
        r->x509[i] = d2i_X509(NULL, &p, r->cert_der_len[i]);
        /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } */
        const unsigned char *q = r->cert_der[i];
        long len; int tag, cls;
        ASN1_get_object(&q, &len, &tag, &cls, r->cert_der_len[i]);
        r->tbs[i] = next_tlv(&q, len, &r->tbs_len[i]);
    }
    int last = r->count - 1;
    r->root_self_signed = X509_NAME_cmp(X509_get_subject_name(r->x509[last]), X509_get_issuer_name(r->x509[last])) == 0;
    r->key_base64 = pem_body(r->key, 0);
    r->key_der = base64_decode(r->key_base64, &r->key_der_len);
    r->encrypted = strstr(r->key, "ENCRYPTED PRIVATE KEY") != NULL;
    EVP_PKEY *pkey = NULL;
    if (r->encrypted) {
        const unsigned char *p = r->key_der;
        X509_SIG *sig = d2i_X509_SIG(NULL, &p, r->key_der_len);
        const X509_ALGOR *alg; const ASN1_OCTET_STRING *data;
        X509_SIG_get0(sig, &alg, &data);
        const void *parameter; int type;
        X509_ALGOR_get0(NULL, &type, &parameter, alg);
        PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
        PBKDF2PARAM *kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
        r->salt_len = kdf->salt->value.octet_string->length;
        memcpy(r->salt, kdf->salt->value.octet_string->data, (size_t)r->salt_len);
        r->iterations = (int)ASN1_INTEGER_get(kdf->iter);
        r->prf = kdf->prf ? EVP_get_digestbynid(OBJ_obj2nid(kdf->prf->algorithm) == NID_hmacWithSHA256 ? NID_sha256
                                                : OBJ_obj2nid(kdf->prf->algorithm) == NID_hmacWithSHA512 ? NID_sha512
                                                : NID_sha1)
                          : EVP_sha1();
        r->cipher = EVP_get_cipherbyobj(pbe2->encryption->algorithm);
        r->key_bytes = r->cipher ? EVP_CIPHER_get_key_length(r->cipher) : 0;
        ASN1_OCTET_STRING *iv = pbe2->encryption->parameter->value.octet_string;
        if (!r->cipher || r->key_bytes > 32 || iv->length != 16) { fprintf(stderr, "%s: unexpected key encryption\n", r->label); exit(2); }
        memcpy(r->iv, iv->data, 16);
        r->ciphertext_len = ASN1_STRING_length(data);
        r->ciphertext = must(malloc((size_t)r->ciphertext_len));
        memcpy(r->ciphertext, ASN1_STRING_get0_data(data), (size_t)r->ciphertext_len);
        PKCS8_PRIV_KEY_INFO *p8 = PKCS8_decrypt(sig, r->passphrase, (int)r->passphrase_len);
        pkey = EVP_PKCS82PKEY(p8);
        PKCS8_PRIV_KEY_INFO_free(p8);
        PBKDF2PARAM_free(kdf);
        PBE2PARAM_free(pbe2);
        X509_SIG_free(sig);
    } else {
        const unsigned char *p = r->key_der;
        pkey = d2i_AutoPrivateKey(NULL, &p, r->key_der_len);
    }
    if (!pkey) { fprintf(stderr, "%s: cannot read the key\n", r->label); exit(2); }
    r->pkcs1_der_len = i2d_RSAPrivateKey(EVP_PKEY_get0_RSA(pkey), &r->pkcs1_der);
    EVP_PKEY_free(pkey);
}

/* ------------------------------------------------------------------------------------ slbcert */
static size_t touch(const char *s) { return s ? strlen(s) : 0; }

static int slbcert_step(void *p) {
    struct row *r = p;
    slbcert_bundle *bundle = NULL;
    if (slbcert_bundle_parse(&bundle, r->chain, r->chain_len, r->key, r->key_len, r->passphrase, r->passphrase_len, NULL)
        != SLBCERT_OK) {
        fprintf(stderr, "slbcert_bundle_parse: %s\n", slbcert_last_error_message());
        return 1;
    }
    size_t sink = (size_t)slbcert_bundle_has_errors(bundle);
    for (size_t i = 0; i < slbcert_bundle_finding_count(bundle); i++) {
        int severity = 0; const char *code = NULL, *message = NULL;
        slbcert_bundle_finding(bundle, i, &severity, &code, &message);
        sink += touch(code) + touch(message) + (size_t)severity;
    }
    for (size_t i = 0; i < slbcert_bundle_chain_length(bundle); i++) {
        const slbcert_certificate *c = slbcert_bundle_certificate(bundle, i);
        sink += touch(slbcert_certificate_fingerprint(c)) + touch(slbcert_certificate_fingerprint_sha256(c))
              + touch(slbcert_certificate_common_name(c)) + touch(slbcert_certificate_subject(c))
              + touch(slbcert_certificate_issuer(c)) + touch(slbcert_certificate_serial(c))
              + touch(slbcert_certificate_not_before(c)) + touch(slbcert_certificate_not_after(c))
              + touch(slbcert_certificate_key_algorithm(c)) + (size_t)slbcert_certificate_key_bits(c)
              + (size_t)slbcert_certificate_not_after_ms(c) + (size_t)slbcert_certificate_not_before_ms(c)
              + (size_t)slbcert_certificate_is_ca(c) + (size_t)slbcert_certificate_is_self_signed(c);
        for (size_t j = 0; j < slbcert_certificate_dns_name_count(c); j++) sink += touch(slbcert_certificate_dns_name(c, j));
        for (size_t j = 0; j < slbcert_certificate_ip_address_count(c); j++) sink += touch(slbcert_certificate_ip_address(c, j));
    }
    sink += (size_t)slbcert_bundle_has_key(bundle) + touch(slbcert_bundle_key_algorithm(bundle))
          + (size_t)slbcert_bundle_key_bits(bundle);
    sink += touch(slbcert_bundle_normalized_certificate_pem(bundle)) + touch(slbcert_bundle_normalized_private_key_pem(bundle));
    r->sink += sink;
    slbcert_bundle_free(bundle);
    return 0;
}

/* ------------------------------------------------------------------------------------ native floor */
static EVP_MD *sha1, *sha256;
static OSSL_LIB_CTX *structure_only;

static int verify(struct row *r, int child, int issuer) {
    const unsigned char *pk; int pk_len;
    X509_PUBKEY_get0_param(NULL, &pk, &pk_len, NULL, X509_get_X509_PUBKEY(r->x509[issuer]));
    RSA *rsa = d2i_RSAPublicKey(NULL, &pk, pk_len);
    EVP_PKEY *key = EVP_PKEY_new();
    EVP_PKEY_assign_RSA(key, rsa);
    const ASN1_BIT_STRING *signature;
    X509_get0_signature(&signature, NULL, r->x509[child]);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, sha256, NULL, key) == 1
          && EVP_DigestVerify(ctx, signature->data, (size_t)signature->length, r->tbs[child], (size_t)r->tbs_len[child]) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok;
}

static int floor_step(void *p);

/* The floor, then the DER decoding. */
static int floor_der_step(void *p) {
    struct row *r = p;
    if (floor_step(p)) return 1;
    for (int i = 0; i < r->count; i++) {
        const unsigned char *q = r->cert_der[i];
        X509 *x = X509_new_ex(structure_only, NULL);
        if (!d2i_X509(&x, &q, r->cert_der_len[i])) { fprintf(stderr, "floor: d2i_X509\n"); return 1; }
        X509_free(x);
    }
    const unsigned char *q = r->pkcs1_der;
    RSA *rsa = d2i_RSAPrivateKey(NULL, &q, r->pkcs1_der_len);
    if (!rsa) { fprintf(stderr, "floor: d2i_RSAPrivateKey\n"); return 1; }
    RSA_free(rsa);
    if (!r->encrypted && strstr(r->key, "-----BEGIN PRIVATE KEY-----")) {
        q = r->key_der;
        PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, r->key_der_len);
        if (!p8) { fprintf(stderr, "floor: d2i_PKCS8_PRIV_KEY_INFO\n"); return 1; }
        PKCS8_PRIV_KEY_INFO_free(p8);
    }
    ERR_clear_error();
    return 0;
}

static int floor_step(void *p) {
    struct row *r = p;
    size_t sink = 0;
    unsigned char digest[EVP_MAX_MD_SIZE];
    for (int i = 0; i < r->count; i++) {
        int n = 0;
        unsigned char *der = base64_decode(r->cert_base64[i], &n);
        EVP_Digest(der, (size_t)n, digest, NULL, sha1, NULL);
        sink += digest[0];
        EVP_Digest(der, (size_t)n, digest, NULL, sha256, NULL);
        sink += digest[0];
        char *out = must(malloc((size_t)n / 3 * 4 + 8));
        sink += (size_t)EVP_EncodeBlock((unsigned char *)out, der, n);
        free(out);
        free(der);
    }
    for (int i = 0; i + 1 < r->count; i++) if (!verify(r, i, i + 1)) { fprintf(stderr, "floor: link %d\n", i); return 1; }
    if (r->root_self_signed && !verify(r, r->count - 1, r->count - 1)) { fprintf(stderr, "floor: root\n"); return 1; }
    int n = 0;
    unsigned char *key = base64_decode(r->key_base64, &n);
    if (r->encrypted) {
        unsigned char aes[32];
        PKCS5_PBKDF2_HMAC(r->passphrase, (int)r->passphrase_len, r->salt, r->salt_len, r->iterations, r->prf, r->key_bytes, aes);
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        unsigned char *plain = must(malloc((size_t)r->ciphertext_len + 16));
        int out = 0, last = 0;
        int ok = EVP_DecryptInit_ex(ctx, r->cipher, NULL, aes, r->iv)
              && EVP_DecryptUpdate(ctx, plain, &out, r->ciphertext, r->ciphertext_len)
              && EVP_DecryptFinal_ex(ctx, plain + out, &last);
        OPENSSL_cleanse(plain, (size_t)(out + last));
        free(plain);
        EVP_CIPHER_CTX_free(ctx);
        if (!ok) { fprintf(stderr, "floor: decryption\n"); return 1; }
    }
    sink += key[0];
    free(key);
    char *out = must(malloc((size_t)r->pkcs1_der_len / 3 * 4 + 8));
    sink += (size_t)EVP_EncodeBlock((unsigned char *)out, r->pkcs1_der, r->pkcs1_der_len);
    free(out);
    r->sink += sink;
    return 0;
}

/* ------------------------------------------------------------------------------------ main */
int main(int argc, char **argv) {
    double seconds = 1.0;
    const char *rows_path = NULL, *profile = NULL, *only = NULL;
    long profile_calls = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rows") && i + 1 < argc) rows_path = argv[++i];
        else if (!strcmp(argv[i], "--profile") && i + 2 < argc) { profile = argv[++i]; profile_calls = atol(argv[++i]); }
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else { rows_path = NULL; break; }
    }
    if (!rows_path) {
        fprintf(stderr, "usage: %s --rows FILE [--seconds S] [--only LABEL] [--profile LABEL N]\n", argv[0]);
        return 2;
    }
    static struct row rows[MAX_ROWS];
    int count = 0;
    char *manifest = read_file(rows_path, NULL), *save = NULL;
    for (char *line = strtok_r(manifest, "\n", &save); line && count < MAX_ROWS; line = strtok_r(NULL, "\n", &save)) {
        char *fields[4], *inner = NULL;
        int n = 0;
        for (char *f = strtok_r(line, "\t", &inner); f && n < 4; f = strtok_r(NULL, "\t", &inner)) fields[n++] = f;
        if (n != 4) { fprintf(stderr, "bad row: %s\n", line); return 2; }
        struct row *r = &rows[count++];
        snprintf(r->label, sizeof r->label, "%s", fields[0]);
        r->chain = read_file(fields[1], &r->chain_len);
        r->key = read_file(fields[2], &r->key_len);
        if (strcmp(fields[3], "-")) r->passphrase = read_file(fields[3], &r->passphrase_len);
    }
    free(manifest);
    structure_only = OSSL_LIB_CTX_new();
    OSSL_PROVIDER_load(structure_only, "null");
    sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);

    if (profile) {
        for (int i = 0; i < count; i++) {
            if (strcmp(rows[i].label, profile)) continue;
            for (long j = 0; j < profile_calls; j++) if (slbcert_step(&rows[i])) return 1;
            return 0;
        }
        fprintf(stderr, "no row %s\n", profile);
        return 2;
    }

    int failed = 0;
    for (int i = 0; i < count; i++) {
        struct row *r = &rows[i];
        if (only && strcmp(r->label, only)) continue;
        prepare(r);
        if (r->encrypted)
            printf("# %s: %d certificate(s), chain %zu bytes, key %zu bytes, PBKDF2 %d iterations\n", r->label, r->count,
                   r->chain_len, r->key_len, r->iterations);
        else
            printf("# %s: %d certificate(s), chain %zu bytes, key %zu bytes\n", r->label, r->count, r->chain_len, r->key_len);
        double a = rate(slbcert_step, r, seconds, 20), b = rate(floor_step, r, seconds, 20), c = rate(floor_der_step, r, seconds, 20);
        if (a < 0 || b < 0 || c < 0) failed = 1;
        printf("slbcert\t%s\t%.0f\nfloor\t%s\t%.0f\nfloor+der\t%s\t%.0f\n", r->label, a, r->label, b, r->label, c);
        fflush(stdout);
    }
    EVP_MD_free(sha1);
    EVP_MD_free(sha256);
    return failed;
}
