/* libcurl, loaded when first used (CCODEX_LAZY_LIBS builds of the ccodex program only).
 *
 * Debian's libcurl pulls in about 33 shared libraries (GnuTLS, Kerberos, LDAP, libssh2, ...):
 * linked normally, every ccodex command maps and relocates all of them before main, which alone
 * is most of `ccodex --version`'s 8.5 MB. This file defines the libcurl functions ccodex calls
 * and forwards each to the system's libcurl.so.4, opened by the first of them. Commands that never
 * talk HTTP (--version, config, sandbox, mcp list, ...) never load it.
 *
 * Not used by libccodex.a/.so (embedders link libcurl as usual) nor by the static release, which
 * links its own libcurl. Adding a curl call elsewhere in ccodex means adding it to the table below
 * (the program's link fails until then).
 *
 * Process-wide state by nature (like the dynamic linker's): the table is written once, under
 * pthread_once, and only read afterwards. Thread rules are libcurl's own. */
/* our definitions below must not be read as curl.h's type-checking macros */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef CX_CURL_SONAME /* CMake passes the SONAME of the library built against */
#define CX_CURL_SONAME "libcurl.so.4"
#endif

/* X(name, return type, parameters): one line per libcurl function ccodex uses. The variadic
 * setters and getinfo are listed with the fixed parameters plus the one argument every option
 * takes (curl reads exactly one). */
#define CX_CURL_FUNCS(X)                                                                           \
    X(curl_global_init, CURLcode, (long))                                                          \
    X(curl_easy_init, CURL *, (void))                                                              \
    X(curl_easy_cleanup, void, (CURL *))                                                           \
    X(curl_easy_reset, void, (CURL *))                                                             \
    X(curl_easy_perform, CURLcode, (CURL *))                                                       \
    X(curl_easy_pause, CURLcode, (CURL *, int))                                                    \
    X(curl_easy_strerror, const char *, (CURLcode))                                                \
    X(curl_easy_escape, char *, (CURL *, const char *, int))                                       \
    X(curl_easy_setopt, CURLcode, (CURL *, CURLoption, ...))                                       \
    X(curl_easy_getinfo, CURLcode, (CURL *, CURLINFO, ...))                                        \
    X(curl_free, void, (void *))                                                                   \
    X(curl_getdate, time_t, (const char *, const time_t *))                                        \
    X(curl_slist_append, struct curl_slist *, (struct curl_slist *, const char *))                 \
    X(curl_slist_free_all, void, (struct curl_slist *))                                            \
    X(curl_version_info, curl_version_info_data *, (CURLversion))                                  \
    X(curl_multi_init, CURLM *, (void))                                                            \
    X(curl_multi_cleanup, CURLMcode, (CURLM *))                                                    \
    X(curl_multi_add_handle, CURLMcode, (CURLM *, CURL *))                                         \
    X(curl_multi_remove_handle, CURLMcode, (CURLM *, CURL *))                                      \
    X(curl_multi_perform, CURLMcode, (CURLM *, int *))                                             \
    X(curl_multi_poll, CURLMcode, (CURLM *, struct curl_waitfd *, unsigned, int, int *))           \
    X(curl_multi_info_read, CURLMsg *, (CURLM *, int *))                                           \
    X(curl_multi_socket_action, CURLMcode, (CURLM *, curl_socket_t, int, int *))                   \
    X(curl_multi_assign, CURLMcode, (CURLM *, curl_socket_t, void *))                              \
    X(curl_multi_setopt, CURLMcode, (CURLM *, CURLMoption, ...))                                   \
    X(curl_url, CURLU *, (void))                                                                   \
    X(curl_url_cleanup, void, (CURLU *))                                                           \
    X(curl_url_get, CURLUcode, (CX_URL_GET_HANDLE *, CURLUPart, char **, unsigned))                \
    X(curl_url_set, CURLUcode, (CURLU *, CURLUPart, const char *, unsigned))

typedef struct curl_table {
/* NOLINTNEXTLINE(bugprone-macro-parentheses): a declaration, not an expression */
#define CX_FIELD(name, ret, params) ret(*name) params;
    CX_CURL_FUNCS(CX_FIELD)
#undef CX_FIELD
    bool ok;
} curl_table;

static curl_table g_curl;
static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
/* set by curl_global_init, which libcurl requires to run before any other thread exists */
static bool g_curl_env_safe;

static void curl_load(void)
{
    /* GnuTLS initialises itself (and p11-kit) from a constructor when loaded, ~0.6 MB that
     * ccodex never uses: libcurl here is the OpenSSL flavour, and the users of GnuTLS among its
     * dependencies (librtmp, libldap; protocols ccodex does not enable) call gnutls_global_init
     * themselves. The switch is GnuTLS's documented GNUTLS_NO_IMPLICIT_INIT, set only around the
     * dlopen and only where changing the environment cannot race another thread. */
    bool set_env = g_curl_env_safe && !getenv("GNUTLS_NO_IMPLICIT_INIT");
    if (set_env) setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1);
    void *h = dlopen(CX_CURL_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (set_env) unsetenv("GNUTLS_NO_IMPLICIT_INIT");
    if (!h) {
        const char *why = dlerror();
        fprintf(stderr, "ccodex: cannot load %s (needed to talk HTTP): %s\n", CX_CURL_SONAME,
                why ? why : "unknown error");
        return;
    }
    curl_table t = {0};
    const char *missing = NULL;
#define CX_LOAD(name, ret, params)                                                                 \
    *(void **)&t.name = dlsym(h, #name);                                                           \
    if (!t.name && !missing) missing = #name;
    CX_CURL_FUNCS(CX_LOAD)
#undef CX_LOAD
    if (missing) {
        fprintf(stderr, "ccodex: %s has no %s (libcurl 7.62 or newer is needed)\n", CX_CURL_SONAME,
                missing);
        dlclose(h);
        return;
    }
    t.ok = true;
    g_curl = t;
}

static bool curl_ready(void)
{
    pthread_once(&g_curl_once, curl_load);
    return g_curl.ok;
}

CURLcode curl_global_init(long flags)
{
    g_curl_env_safe = true;
    if (!curl_ready()) return CURLE_FAILED_INIT;
    return g_curl.curl_global_init(flags);
}

CURL *curl_easy_init(void)
{
    return curl_ready() ? g_curl.curl_easy_init() : NULL;
}

/* functions that take a handle only ever get one from a loaded libcurl: no check needed */
void curl_easy_cleanup(CURL *e)
{
    if (e) g_curl.curl_easy_cleanup(e);
}

void curl_easy_reset(CURL *e)
{
    g_curl.curl_easy_reset(e);
}

CURLcode curl_easy_perform(CURL *e)
{
    return g_curl.curl_easy_perform(e);
}

CURLcode curl_easy_pause(CURL *e, int bitmask)
{
    return g_curl.curl_easy_pause(e, bitmask);
}

const char *curl_easy_strerror(CURLcode c)
{
    return curl_ready() ? g_curl.curl_easy_strerror(c) : "libcurl could not be loaded";
}

char *curl_easy_escape(CURL *e, const char *s, int len)
{
    return curl_ready() ? g_curl.curl_easy_escape(e, s, len) : NULL;
}

void curl_free(void *p)
{
    if (p) g_curl.curl_free(p);
}

time_t curl_getdate(const char *s, const time_t *unused)
{
    return curl_ready() ? g_curl.curl_getdate(s, unused) : (time_t)-1;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
    return curl_ready() ? g_curl.curl_slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
    if (l) g_curl.curl_slist_free_all(l);
}

curl_version_info_data *curl_version_info(CURLversion v)
{
    return curl_ready() ? g_curl.curl_version_info(v) : NULL;
}

CURLM *curl_multi_init(void)
{
    return curl_ready() ? g_curl.curl_multi_init() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
    return m ? g_curl.curl_multi_cleanup(m) : CURLM_BAD_HANDLE;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
    return g_curl.curl_multi_add_handle(m, e);
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
    return g_curl.curl_multi_remove_handle(m, e);
}

CURLMcode curl_multi_perform(CURLM *m, int *running)
{
    return g_curl.curl_multi_perform(m, running);
}

CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd *fds, unsigned n, int timeout_ms, int *ret)
{
    return g_curl.curl_multi_poll(m, fds, n, timeout_ms, ret);
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
    return g_curl.curl_multi_info_read(m, left);
}

CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev_bitmask, int *running)
{
    return g_curl.curl_multi_socket_action(m, s, ev_bitmask, running);
}

CURLMcode curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
    return g_curl.curl_multi_assign(m, s, p);
}

CURLU *curl_url(void)
{
    return curl_ready() ? g_curl.curl_url() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
    if (u) g_curl.curl_url_cleanup(u);
}

CURLUcode curl_url_get(CX_URL_GET_HANDLE *u, CURLUPart what, char **part, unsigned flags)
{
    return g_curl.curl_url_get(u, what, part, flags);
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned flags)
{
    return g_curl.curl_url_set(u, what, part, flags);
}

/* An option's number says the type of its one argument (curl.h's CURLOPTTYPE_* bases, the
 * same for easy and multi options): read it as that type and pass it on unchanged. */
typedef void (*any_fn)(void);
#define CX_FORWARD_OPTION(call, handle, option, ap)                                                \
    do {                                                                                           \
        long base_ = (long)(option) / 10000 * 10000;                                               \
        if (base_ == CURLOPTTYPE_LONG) return call(handle, option, va_arg(ap, long));              \
        if (base_ == CURLOPTTYPE_FUNCTIONPOINT) return call(handle, option, va_arg(ap, any_fn));   \
        if (base_ == CURLOPTTYPE_OFF_T) return call(handle, option, va_arg(ap, curl_off_t));       \
        return call(handle, option, va_arg(ap, void *));                                           \
    } while (0)

static CURLcode easy_setopt(CURL *e, CURLoption opt, va_list ap)
{
    CX_FORWARD_OPTION(g_curl.curl_easy_setopt, e, opt, ap);
}

CURLcode curl_easy_setopt(CURL *e, CURLoption opt, ...)
{
    va_list ap;
    va_start(ap, opt);
    CURLcode rc = easy_setopt(e, opt, ap);
    va_end(ap);
    return rc;
}

static CURLMcode multi_setopt(CURLM *m, CURLMoption opt, va_list ap)
{
    CX_FORWARD_OPTION(g_curl.curl_multi_setopt, m, opt, ap);
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
    va_list ap;
    va_start(ap, opt);
    CURLMcode rc = multi_setopt(m, opt, ap);
    va_end(ap);
    return rc;
}

/* every CURLINFO_* writes through the one pointer it is given */
CURLcode curl_easy_getinfo(CURL *e, CURLINFO info, ...)
{
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return g_curl.curl_easy_getinfo(e, info, out);
}
