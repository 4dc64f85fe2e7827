/* libcurl transport. Transfers run through a private multi handle polled in
 * 50 ms steps so cancellation and the idle watchdog react promptly even when
 * the server sends nothing (curl's progress callback alone may wait a second). */
#include "model/http.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/redact.h"
#include "base/uuid.h"
#include "model/tls.h"

#include <ctype.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cx_http_client {
    CURL *easy;
    CURLM *multi;
};

typedef struct xfer {
    cx_http_data_fn on_data;
    void *user;
    bool ok_status;  /* known 2xx once headers are in */
    bool delivered;  /* some body bytes went to on_data */
    int cb_rc;       /* on_data's abort value */
    bool wrong_type; /* a 2xx whose Content-Type is not the expected one */
    const char *want_type;
    cx_buf err_body; /* body of an error response (kept short) */
    long retry_after_ms;
    long long last_byte_ms;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE]; /* curl's specific message ("CONNECT tunnel failed, ...") */
} xfer;

void cx__http_global_init(bool tls)
{
    /* libcurl (7.57 and later) sets up its TLS library whatever the flags say,
     * and OpenSSL then reads the system's openssl.cnf, which touches about
     * 1 MB of its code and tables (bench/RESULTS.md). A session whose
     * provider is plain HTTP (a local server) claims OpenSSL's one-time
     * configuration step first, without loading the file. The cost: an https
     * connection later in such a session (an MCP server) runs on OpenSSL's
     * built-in defaults rather than the system file's changes to them. */
    if (!tls) OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

cx_http_client *cx__http_client_new(void)
{
    cx_http_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->easy = curl_easy_init();
    c->multi = curl_multi_init();
    if (!c->easy || !c->multi) {
        cx__http_client_free(c);
        return NULL;
    }
    return c;
}

void cx__http_client_free(cx_http_client *c)
{
    if (!c) return;
    if (c->multi) curl_multi_cleanup(c->multi);
    if (c->easy) curl_easy_cleanup(c->easy);
    free(c);
}

long cx__http_backoff_ms(int attempt)
{
    if (attempt < 1) attempt = 1;
    if (attempt > 10) attempt = 10;
    long base = 200L << (attempt - 1);
    unsigned char r = 0;
    cx__random_bytes(&r, 1);
    return base * (90 + r % 21) / 100;
}

/* True when no type is required or the response's media type is it
 * (parameters such as "; charset=utf-8" aside). */
static bool type_ok(const xfer *x)
{
    if (!x->want_type) return true;
    char *ct = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (!ct) return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen(x->want_type);
    return !strncasecmp(ct, x->want_type, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    x->last_byte_ms = cx__clock_ms();
    if (!x->ok_status && !x->wrong_type) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        x->ok_status = code >= 200 && code < 300;
        if (x->ok_status && !type_ok(x)) {
            x->ok_status = false;
            x->wrong_type = true;
        }
    }
    if (x->wrong_type) {
        /* enough of the body to show what came; the rest is not waited for */
        cx__buf_append(&x->err_body, ptr, n < 4096 ? n : 4096);
        return 0;
    }
    if (!x->ok_status) {
        if (x->err_body.len < 4096) cx__buf_append(&x->err_body, ptr, n);
        return n;
    }
    x->delivered = true;
    if (x->on_data) {
        int rc = x->on_data(x->user, ptr, n);
        if (rc) {
            x->cb_rc = rc;
            return 0; /* makes curl fail with CURLE_WRITE_ERROR */
        }
    }
    return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    xfer *x = ud;
    size_t n = size * nitems;
    x->last_byte_ms = cx__clock_ms();
    if (n > 12 && !strncasecmp(buf, "retry-after:", 12)) {
        char tmp[64];
        size_t len = n - 12 < sizeof tmp - 1 ? n - 12 : sizeof tmp - 1;
        memcpy(tmp, buf + 12, len);
        tmp[len] = '\0';
        char *end;
        double secs = strtod(tmp, &end);
        if (end != tmp && secs >= 0) {
            /* any length is kept: the caller's cap decides, not a silent drop */
            x->retry_after_ms = secs > 1e9 ? 1000000000L * 1000L : (long)(secs * 1000);
        } else {
            time_t when = curl_getdate(tmp, NULL); /* the HTTP-date form */
            time_t now = time(NULL);
            if (when > 0) x->retry_after_ms = when > now ? (long)(when - now) * 1000 : 0;
        }
    }
    return n;
}

/* Every text from the URL or the server passes through the one redaction. */
static void redact_into(cx_buf *out, const char *s, size_t n, const char *secret)
{
    const char *secrets[2] = {secret, NULL};
    cx__redact_append(out, s, n, secrets, CX_REDACT_ONE_LINE);
}

static bool retryable_status(long code)
{
    return code == 429 || code >= 500;
}

static bool retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

bool cx__http_sleep_cancellable(long ms, const atomic_bool *cancel)
{
    long long end = cx__clock_ms() + ms;
    while (cx__clock_ms() < end) {
        if (cancel && atomic_load(cancel)) return true;
        long left = (long)(end - cx__clock_ms());
        struct timespec ts = {0, (left > 50 ? 50 : left) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return cancel && atomic_load(cancel);
}

typedef enum { RUN_DONE, RUN_CANCEL, RUN_IDLE } run_end;

/* Drives one transfer on the multi handle. */
static run_end run_transfer(cx_http_client *c, xfer *x, long idle_ms, const atomic_bool *cancel,
                            CURLcode *result)
{
    curl_multi_add_handle(c->multi, c->easy);
    run_end end = RUN_DONE;
    *result = CURLE_OK;
    for (;;) {
        int running = 0;
        curl_multi_perform(c->multi, &running);
        if (!running) break;
        if (cancel && atomic_load(cancel)) {
            end = RUN_CANCEL;
            break;
        }
        if (idle_ms > 0 && cx__clock_ms() - x->last_byte_ms > idle_ms) {
            end = RUN_IDLE;
            break;
        }
        curl_multi_poll(c->multi, NULL, 0, 50, NULL);
    }
    if (end == RUN_DONE) {
        int left;
        CURLMsg *m;
        while ((m = curl_multi_info_read(c->multi, &left)))
            if (m->msg == CURLMSG_DONE) *result = m->data.result;
    }
    curl_multi_remove_handle(c->multi, c->easy);
    return end;
}

/* Returns cx__tls_apply's verdict: an https URL with no CA certificates fails
 * before connecting, naming the places searched. */
static int setup_easy(cx_http_client *c, xfer *x, const char *url, struct curl_slist *hdrs,
                      cx_error *err)
{
    CURL *e = c->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    x->easy = e;
    return cx__tls_apply(e, url, err);
}

static struct curl_slist *make_headers(const char *const *headers)
{
    struct curl_slist *l = NULL;
    for (const char *const *h = headers; h && *h; h++) {
        struct curl_slist *n = curl_slist_append(l, *h);
        if (!n) {
            curl_slist_free_all(l);
            return NULL;
        }
        l = n;
    }
    /* curl would otherwise add "Expect: 100-continue" to large bodies. */
    struct curl_slist *n = curl_slist_append(l, "Expect:");
    return n ? n : l;
}

/* The standard reason phrase, as upstream's status line shows it. */
const char *cx__http_reason_phrase(long code)
{
    static const struct {
        long code;
        const char *text;
    } t[] = {{400, "Bad Request"},
             {401, "Unauthorized"},
             {402, "Payment Required"},
             {403, "Forbidden"},
             {404, "Not Found"},
             {405, "Method Not Allowed"},
             {408, "Request Timeout"},
             {409, "Conflict"},
             {413, "Payload Too Large"},
             {415, "Unsupported Media Type"},
             {422, "Unprocessable Entity"},
             {429, "Too Many Requests"},
             {500, "Internal Server Error"},
             {501, "Not Implemented"},
             {502, "Bad Gateway"},
             {503, "Service Unavailable"},
             {504, "Gateway Timeout"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (t[i].code == code) return t[i].text;
    return NULL;
}

/* What an error body says: its error.message when it is JSON that has one,
 * else the trimmed text (at most 1000 bytes), else "Unknown error". */
static void body_summary(cx_buf *out, const cx_buf *body, const char *secret)
{
    json_object *o = NULL;
    const char *msg = NULL;
    if (body->len && cx__json_parse(body->data, body->len, &o, NULL) == 0)
        msg = cx__json_get_str(cx__json_get(o, "error"), "message");
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: the JSON message (when not blank); pass 1: the body */
        const char *text = pass ? body->data : msg;
        size_t start = 0, end = pass ? body->len : (msg ? strlen(msg) : 0);
        while (start < end && isspace((unsigned char)text[start]))
            start++;
        while (end > start && isspace((unsigned char)text[end - 1]))
            end--;
        if (end == start) continue;
        redact_into(out, text + start, end - start > 1000 ? 1000 : end - start, secret);
        if (end - start > 1000) cx__buf_puts(out, "...");
        json_object_put(o);
        return;
    }
    cx__buf_puts(out, "Unknown error");
    json_object_put(o);
}

static int status_error(cx_error *err, long code, const char *url, const xfer *x,
                        const char *secret)
{
    cx_buf b = CX_BUF_INIT;
    if (x->wrong_type) {
        char *ct = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
        cx__buf_printf(&b, "expected %s but the server sent ", x->want_type);
        if (ct)
            redact_into(&b, ct, strlen(ct), secret);
        else
            cx__buf_puts(&b, "no Content-Type");
        cx__buf_printf(&b, " (status %ld) from ", code);
        redact_into(&b, url, strlen(url), secret);
    } else if (code == 400 && x->err_body.len) {
        /* upstream reports a rejected request by the server's answer alone */
        redact_into(&b, x->err_body.data, x->err_body.len, secret);
    } else {
        const char *reason = cx__http_reason_phrase(code);
        cx__buf_printf(&b, "unexpected status %ld%s%s: ", code, reason ? " " : "",
                       reason ? reason : "");
        body_summary(&b, &x->err_body, secret);
        cx__buf_puts(&b, ", url: ");
        redact_into(&b, url, strlen(url), secret);
    }
    cx_error_set(err, CX_EHTTP, "%s", cx__buf_str(&b));
    if (err) err->http_status = (int)code;
    cx__buf_free(&b);
    return CX_EHTTP;
}

static int curl_error(cx_error *err, CURLcode rc, const xfer *x, const char *url,
                      const char *secret, bool delivered)
{
    cx_buf b = CX_BUF_INIT;
    if (delivered)
        cx__buf_puts(&b, "stream disconnected before completion: ");
    else
        cx__buf_puts(&b, "request to ");
    if (!delivered) {
        redact_into(&b, url, strlen(url), secret);
        cx__buf_puts(&b, " failed: ");
    }
    /* the detail may quote a proxy URL with its password: redact both */
    redact_into(&b, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc),
                strlen(x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc)), secret);
    cx_error_set(err, CX_ENET, "%s", cx__buf_str(&b));
    cx__buf_free(&b);
    return CX_ENET;
}

int cx__http_post_stream(cx_http_client *c, const cx_http_request *req, cx_http_data_fn on_data,
                         cx_http_retry_fn on_retry, void *user, int *status_out, cx_error *err)
{
    struct curl_slist *hdrs = make_headers(req->headers);
    if (!hdrs) return cx_error_set(err, CX_ENOMEM, "out of memory");
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        xfer x = {.on_data = on_data,
                  .user = user,
                  .last_byte_ms = cx__clock_ms(),
                  .retry_after_ms = -1,
                  .want_type = req->content_type};
        if ((rc = setup_easy(c, &x, req->url, hdrs, err)) < 0) break;
        curl_easy_setopt(c->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        CURLcode cres;
        run_end end = run_transfer(c, &x, req->idle_timeout_ms, req->cancel, &cres);
        long code = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
        if (status_out) *status_out = (int)code;
        bool retry = false;
        if (end == RUN_DONE && !x.cb_rc && code >= 200 && code < 300 && !x.wrong_type &&
            !type_ok(&x))
            x.wrong_type = true; /* a 2xx with no body never reached on_write */
        if (end == RUN_CANCEL) {
            rc = cx_error_set(err, CX_ECANCELED, "request cancelled");
        } else if (end == RUN_IDLE) {
            rc = cx_error_set(err, CX_ETIMEOUT, "idle timeout waiting for SSE (no data for %ld ms)",
                              req->idle_timeout_ms);
        } else if (x.cb_rc) {
            rc = x.cb_rc;
        } else if (x.wrong_type) {
            /* an HTML login page or a JSON answer will not turn into events on retry */
            rc = status_error(err, code, req->url, &x, req->redact);
            if (err) err->http_status = 0;
        } else if (cres != CURLE_OK && !(code >= 400 && !x.delivered)) {
            rc = curl_error(err, cres, &x, req->url, req->redact, x.delivered);
            long proxy_code = 0; /* a proxy refusing CONNECT (407, 403) will not change its mind */
            curl_easy_getinfo(c->easy, CURLINFO_HTTP_CONNECTCODE, &proxy_code);
            retry = !x.delivered && retryable_curl(cres) && proxy_code < 400;
        } else if (code < 200 || code >= 300) {
            rc = status_error(err, code, req->url, &x, req->redact);
            retry = retryable_status(code);
        } else {
            rc = 0;
        }
        cx__buf_free(&x.err_body);
        if (!retry || attempt >= req->max_retries) break;
        long delay = x.retry_after_ms >= 0 ? x.retry_after_ms : cx__http_backoff_ms(attempt + 1);
        if (req->max_retry_wait_ms > 0 && delay > req->max_retry_wait_ms) {
            /* waiting that long in silence helps nobody: the server's answer is the error */
            char tail[160];
            snprintf(tail, sizeof tail,
                     " (the server asked to retry after %ld s, more than the %ld s limit)",
                     delay / 1000, req->max_retry_wait_ms / 1000);
            size_t have = err ? strlen(err->msg) : 0;
            if (err && have < sizeof err->msg - 1)
                snprintf(err->msg + have, sizeof err->msg - have, "%s", tail);
            break;
        }
        if (on_retry) on_retry(user, attempt + 1, delay, err ? err->msg : "");
        if (cx__http_sleep_cancellable(delay, req->cancel)) {
            rc = cx_error_set(err, CX_ECANCELED, "request cancelled");
            break;
        }
    }
    curl_slist_free_all(hdrs);
    return rc;
}

static int append_body(void *user, const char *data, size_t len)
{
    return cx__buf_append(user, data, len);
}

int cx__http_get(cx_http_client *c, const char *url, const char *const *headers, long timeout_ms,
                 cx_buf *body, int *status_out, cx_error *err)
{
    struct curl_slist *hdrs = make_headers(headers);
    if (!hdrs) return cx_error_set(err, CX_ENOMEM, "out of memory");
    xfer x = {
        .on_data = append_body, .user = body, .last_byte_ms = cx__clock_ms(), .retry_after_ms = -1};
    int rc = setup_easy(c, &x, url, hdrs, err);
    if (rc < 0) {
        curl_slist_free_all(hdrs);
        return rc;
    }
    curl_easy_setopt(c->easy, CURLOPT_HTTPGET, 1L);
    if (timeout_ms > 0) curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode cres;
    run_transfer(c, &x, 0, NULL, &cres);
    long code = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (status_out) *status_out = (int)code;
    if (cres != CURLE_OK && !(code >= 400))
        rc = curl_error(err, cres, &x, url, NULL, false);
    else if (code < 200 || code >= 300)
        rc = status_error(err, code, url, &x, NULL);
    cx__buf_free(&x.err_body);
    curl_slist_free_all(hdrs);
    return rc;
}
