/* Secret masking. One left-to-right scan: at each position the first rule
 * that matches writes its masked form and skips what it hid; otherwise the
 * byte is copied. Over-masking is preferred to a leak: a URL whose path holds
 * an '@' after a ':' loses its host too. */
#include "base/redact.h"

#include "ccodex/error.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Names whose value is a secret when ':' or '=' follows them. */
static const char *const SECRET_NAMES[] = {
    "proxy-authorization",
    "authorization",
    "x-api-key",
    "api-key",
    "api_key",
    "apikey",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
    "passwd",
    "secret",
    "token",
    "openai-api-key",
    NULL,
};

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* A byte that ends a token (a header value, a query value, a key). */
static bool token_end(char c)
{
    return c == '\0' || isspace((unsigned char)c) || c == '"' || c == '\'' || c == '&' ||
           c == ',' || c == ';' || c == '<' || c == '>' || c == '`' || c == '}' || c == ')';
}

static size_t skip_token(const char *s, size_t i, size_t n)
{
    while (i < n && !token_end(s[i]))
        i++;
    return i;
}

/* At s+i just after "://": the end of "user:pass@" (the index after '@'),
 * or i when there is none. The userinfo is taken up to the last '@' before
 * the URL ends, so a '/' or '?' in a password does not hide it. */
static size_t userinfo_end(const char *s, size_t i, size_t n)
{
    size_t end = i;
    while (end < n && !isspace((unsigned char)s[end]) && s[end] != '"' && s[end] != '\'' &&
           s[end] != '<' && s[end] != '>' && s[end] != '`')
        end++;
    size_t at = end;
    while (at > i && s[at - 1] != '@')
        at--;
    if (at == i) return i;
    /* "host/path@x" is not userinfo; "user:pa/ss@host" is */
    const char *slash = memchr(s + i, '/', at - 1 - i);
    const char *colon = memchr(s + i, ':', at - 1 - i);
    if (slash && (!colon || colon > slash)) return i;
    return at;
}

/* The length of a secret name at s+i followed by its separator, or 0.
 * *value receives the index where the value starts. */
static size_t secret_name(const char *s, size_t i, size_t n, size_t *value)
{
    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')) return 0;
    for (const char *const *nm = SECRET_NAMES; *nm; nm++) {
        size_t l = strlen(*nm);
        if (i + l > n || strncasecmp(s + i, *nm, l) != 0) continue;
        size_t j = i + l;
        if (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_')) continue;
        if (j < n && (s[j] == '"' || s[j] == '\'')) j++;
        while (j < n && s[j] == ' ')
            j++;
        if (j >= n || (s[j] != ':' && s[j] != '=')) continue;
        j++;
        while (j < n && s[j] == ' ')
            j++;
        if (j < n && (s[j] == '"' || s[j] == '\'')) j++;
        *value = j;
        return l;
    }
    return 0;
}

/* After "Bearer " (or another scheme word) at s+i: index past it, else i. */
static size_t scheme_word(const char *s, size_t i, size_t n)
{
    static const char *const schemes[] = {"bearer ", "basic ", "digest ", "token ", NULL};
    for (const char *const *w = schemes; *w; w++) {
        size_t l = strlen(*w);
        if (i + l <= n && !strncasecmp(s + i, *w, l)) return i + l;
    }
    return i;
}

static size_t match_secret(const char *s, size_t i, size_t n, const char *const *secrets)
{
    for (const char *const *p = secrets; p && *p; p++) {
        size_t l = strlen(*p);
        if (l >= 4 && i + l <= n && !memcmp(s + i, *p, l)) return l;
    }
    return 0;
}

int cx__redact_append(cx_buf *out, const char *s, size_t n, const char *const *secrets,
                      unsigned flags)
{
    size_t i = 0, v;
    while (i < n) {
        size_t l = match_secret(s, i, n, secrets);
        if (l) {
            cx__buf_puts(out, "***");
            i += l;
            continue;
        }
        if (i + 3 <= n && !memcmp(s + i, "://", 3)) {
            cx__buf_puts(out, "://");
            i = userinfo_end(s, i + 3, n);
            continue;
        }
        if (secret_name(s, i, n, &v)) {
            size_t after_scheme = scheme_word(s, v, n);
            size_t end = skip_token(s, after_scheme, n);
            cx__buf_append(out, s + i, after_scheme - i);
            if (end > after_scheme) cx__buf_puts(out, "***");
            i = end;
            continue;
        }
        if ((i == 0 || !word_char(s[i - 1])) && (l = scheme_word(s, i, n)) > i &&
            !strncasecmp(s + i, "bearer ", 7)) {
            size_t end = skip_token(s, l, n);
            cx__buf_append(out, s + i, l - i);
            if (end > l) cx__buf_puts(out, "***");
            i = end;
            continue;
        }
        if ((s[i] == '?' || s[i] == '&') && i + 5 <= n && !strncasecmp(s + i + 1, "key=", 4)) {
            cx__buf_append(out, s + i, 5);
            size_t end = skip_token(s, i + 5, n);
            if (end > i + 5) cx__buf_puts(out, "***");
            i = end;
            continue;
        }
        if (i + 3 <= n && !memcmp(s + i, "sk-", 3) && (i == 0 || !word_char(s[i - 1]))) {
            size_t end = i + 3;
            while (end < n && word_char(s[end]))
                end++;
            if (end - i - 3 >= 8) {
                cx__buf_puts(out, "sk-***");
                i = end;
                continue;
            }
        }
        char c = s[i++];
        if ((flags & CX_REDACT_ONE_LINE) && (unsigned char)c < 0x20) c = ' ';
        cx__buf_putc(out, c);
    }
    return cx__buf_failed(out) ? CX_ENOMEM : 0;
}

char *cx__redact(const char *s, const char *secret, unsigned flags)
{
    if (!s) return NULL;
    const char *secrets[2] = {secret, NULL};
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    if (cx__redact_append(&b, s, strlen(s), secrets, flags) != 0) {
        cx__buf_free(&b);
        return NULL;
    }
    return cx__buf_steal(&b);
}
