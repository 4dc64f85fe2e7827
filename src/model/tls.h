/* Where TLS trust comes from. The static release's libcurl has no built-in CA
 * path and a bare container may hold no certificates at all, so every curl
 * handle that may speak TLS is pointed at the bundle or directory found here:
 * SSL_CERT_FILE / SSL_CERT_DIR when set, else the first of the usual places of
 * Debian, Fedora/RHEL, openSUSE and Alpine. When an https URL finds nothing,
 * the caller gets a sentence naming every place tried instead of curl's
 * generic "unable to get local issuer certificate". Stateless; thread-safe. */
#ifndef CX_MODEL_TLS_H
#define CX_MODEL_TLS_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "ccodex/error.h"

/* Sets CURLOPT_CAINFO / CURLOPT_CAPATH (and the proxy's) on easy for url.
 * Returns 0, or CX_ENOTFOUND with err when url (or the proxy in the
 * environment) is https and no certificates exist, or SSL_CERT_FILE /
 * SSL_CERT_DIR name something unreadable. Call after any curl_easy_reset. */
int cx__tls_apply(CURL *easy, const char *url, cx_error *err);

/* The CA bundle or directory cx__tls_apply would use, for reports (doctor,
 * --version --verbose): writes it into out and returns true, or false when
 * none is found. */
bool cx__tls_ca_location(char *out, size_t cap);

#endif
