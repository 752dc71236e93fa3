/* What Swift cannot import from OpenSSL 3 directly: the sk_*() helpers are macros, and a few
 * calls are macros over ctrl functions. Each wrapper is a static inline one-liner. */
#ifndef SLBCERT_COPENSSL_SHIM_H
#define SLBCERT_COPENSSL_SHIM_H

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline int slbcert_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}
static inline GENERAL_NAME *slbcert_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int i) {
    return sk_GENERAL_NAME_value(names, i);
}
static inline void slbcert_GENERAL_NAMES_free(GENERAL_NAMES *names) {
    GENERAL_NAMES_free(names);
}
/* BIO_get_mem_data is a macro over BIO_ctrl. */
static inline long slbcert_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}
static inline int slbcert_BIO_reset(BIO *bio) { return (int)BIO_reset(bio); }
/* XN_FLAG_RFC2253 is a macro expression Swift cannot evaluate. */
static inline unsigned long slbcert_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
/* Keeps the passphrase callback in C: Swift hands the passphrase as userdata. */
typedef struct { const char *bytes; int length; int called; } slbcert_passphrase;
static inline int slbcert_passphrase_cb(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    slbcert_passphrase *p = (slbcert_passphrase *)userdata;
    if (p == NULL) return -1;
    p->called = 1;
    if (p->bytes == NULL || p->length <= 0 || p->length > size) return -1;
    for (int i = 0; i < p->length; i++) buf[i] = p->bytes[i];
    return p->length;
}
static inline pem_password_cb *slbcert_passphrase_callback(void) { return slbcert_passphrase_cb; }
/* SSL_set_tlsext_host_name is a macro over SSL_ctrl (the SNI name a deploy's TLS check sends). */
static inline int slbcert_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
#endif
