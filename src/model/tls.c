/* CA discovery for libcurl (see tls.h). */
#include "model/tls.h"

#include "base/buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bundles first (one open + parse), then hashed directories. The same list
 * Go's crypto/x509 and most static tools search. */
static const char *const ca_files[] = {
    "/etc/ssl/certs/ca-certificates.crt",                /* Debian, Ubuntu, Gentoo, Alpine */
    "/etc/pki/tls/certs/ca-bundle.crt",                  /* Fedora, RHEL 6 */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+, CentOS */
    "/etc/ssl/ca-bundle.pem",                            /* openSUSE */
    "/etc/pki/tls/cacert.pem",                           /* OpenELEC */
    "/etc/ssl/cert.pem",                                 /* Alpine, Arch, BSDs */
    NULL,
};
static const char *const ca_dirs[] = {
    "/etc/ssl/certs",     /* hashed links (c_rehash), Debian and SUSE */
    "/etc/pki/tls/certs", /* Fedora, RHEL */
    NULL,
};

static bool readable_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, R_OK) == 0;
}

static bool readable_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode) && access(p, R_OK | X_OK) == 0;
}

static bool is_https(const char *u)
{
    return u && !strncasecmp(u, "https://", 8);
}

/* Whether curl will need trust anchors: an https target, or an https proxy
 * taken from the environment as curl does. */
static bool needs_tls(const char *url)
{
    if (is_https(url)) return true;
    static const char *const vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                       NULL};
    for (const char *const *v = vars; *v; v++)
        if (is_https(getenv(*v))) return true;
    return false;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Picks the bundle (*file) and/or directory (*dir). Returns 0, or a negative
 * code with err when an explicit variable names something unusable. */
static int locate(const char **file, const char **dir, cx_error *err)
{
    *file = env_nonempty("SSL_CERT_FILE");
    *dir = env_nonempty("SSL_CERT_DIR");
    if (*file && !readable_file(*file))
        return cx_error_set(err, CX_ENOTFOUND,
                            "SSL_CERT_FILE is set to %s, which is not a readable file", *file);
    /* OpenSSL takes a colon-separated list here; check only the first entry. */
    if (*dir) {
        char first[4096];
        snprintf(first, sizeof first, "%s", *dir);
        first[strcspn(first, ":")] = '\0';
        if (!readable_dir(first))
            return cx_error_set(err, CX_ENOTFOUND,
                                "SSL_CERT_DIR is set to %s, which is not a readable directory",
                                *dir);
    }
    if (*file || *dir) return 0;
    for (const char *const *f = ca_files; *f; f++)
        if (readable_file(*f)) {
            *file = *f;
            return 0;
        }
    for (const char *const *d = ca_dirs; *d; d++)
        if (readable_dir(*d)) {
            *dir = *d;
            return 0;
        }
    return 0;
}

static int none_found(const char *url, cx_error *err)
{
    cx_buf b = CX_BUF_INIT;
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    cx__buf_printf(&b,
                   "no CA certificates to verify %.*s: SSL_CERT_FILE and SSL_CERT_DIR are unset "
                   "and none of",
                   (int)strcspn(host, "/?#"), host);
    for (const char *const *f = ca_files; *f; f++)
        cx__buf_printf(&b, " %s", *f);
    for (const char *const *d = ca_dirs; *d; d++)
        cx__buf_printf(&b, " %s/", *d);
    cx__buf_puts(&b, " exists; install the ca-certificates package or set SSL_CERT_FILE");
    int rc = cx_error_set(err, CX_ENOTFOUND, "%s", cx__buf_str(&b));
    cx__buf_free(&b);
    return rc;
}

int cx__tls_apply(CURL *easy, const char *url, cx_error *err)
{
    if (!needs_tls(url)) return 0;
    const char *file, *dir;
    int rc = locate(&file, &dir, err);
    if (rc < 0) return rc;
    if (!file && !dir) return none_found(url, err);
    /* Without a file, curl must not fall back to a built-in bundle path that
     * may not exist here: NULL clears it. */
    curl_easy_setopt(easy, CURLOPT_CAINFO, file);
    curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, file);
    if (dir) {
        curl_easy_setopt(easy, CURLOPT_CAPATH, dir);
        curl_easy_setopt(easy, CURLOPT_PROXY_CAPATH, dir);
    }
    return 0;
}

bool cx__tls_ca_location(char *out, size_t cap)
{
    const char *file, *dir;
    if (locate(&file, &dir, NULL) < 0 || (!file && !dir)) return false;
    snprintf(out, cap, "%s%s%s", file ? file : "", file && dir ? " + " : "", dir ? dir : "");
    return true;
}
