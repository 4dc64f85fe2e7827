/* `ccodex --version --verbose`: what this binary was built with and what it
 * found at run time, so a user of a downloaded static binary can tell which
 * libraries (and which Debian source packages) are inside and whether TLS and
 * code mode will work on this machine. */
#include "cli/cli.h"

#include "base/proc.h"

#include "model/tls.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <histedit.h>
#include <json-c/json_c_version.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Commands other files provide; a trimmed build may leave them out (as main.c). */
#pragma weak cx_cli_serve
#pragma weak cx_cli_doctor
#pragma weak cx_cli_portable_put
#pragma weak cx_cli_storage_server

int cx_cli_version_verbose(FILE *f)
{
    fprintf(f, "ccodex %s\n", CCODEX_VERSION);
#ifdef CCODEX_BUILD_INFO
    fprintf(f, "build: %s\n", CCODEX_BUILD_INFO);
#else
    fputs("build: dynamic (system libraries)\n", f);
#endif
    fputs("commands: exec repl", f);
    if (cx_cli_serve) fputs(" serve", f);
    if (cx_cli_doctor) fputs(" doctor", f);
    if (cx_cli_portable_put) fputs(" portable(--put/--call)", f);
    if (cx_cli_storage_server) fputs(" storage-server", f);
    fputc('\n', f);

    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    fprintf(f, "libcurl: %s\n", cv->version);
    fputs("  protocols:", f);
    for (const char *const *p = cv->protocols; p && *p; p++)
        fprintf(f, " %s", *p);
    fputs("\n  features:", f);
#if LIBCURL_VERSION_NUM >= 0x075700
    for (const char *const *p = cv->feature_names; p && *p; p++)
        fprintf(f, " %s", *p);
#endif
    fputc('\n', f);
    fprintf(f, "tls: %s\n", cv->ssl_version ? cv->ssl_version : "none");
    fprintf(f, "crypto: %s\n", OpenSSL_version(OPENSSL_VERSION));
    fprintf(f, "zlib: %s\n", cv->libz_version ? cv->libz_version : "none");
    fprintf(f, "nghttp2: %s\n", cv->nghttp2_version ? cv->nghttp2_version : "none");
    fprintf(f, "json-c: %s\n", json_c_version());
    fprintf(f, "libevent: %s\n", event_get_version());
    fprintf(f, "libedit: API %d.%d\n", LIBEDIT_MAJOR, LIBEDIT_MINOR);
#ifdef CCODEX_DEBIAN_SOURCES
    fprintf(f, "debian source packages: %s\n", CCODEX_DEBIAN_SOURCES);
#endif
    char buf[4096];
    fprintf(f, "ca certificates: %s\n",
            cx__tls_ca_location(buf, sizeof buf)
                ? buf
                : "none found (set SSL_CERT_FILE or SSL_CERT_DIR)");
    bool node = cx__proc_find_program("node", buf, sizeof buf);
    fprintf(f, "code mode: %s\n", node ? buf : "node not found on PATH");
    return 0;
}
