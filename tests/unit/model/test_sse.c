/* SSE framing across arbitrary chunk boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "model/sse.h"

/* Collects events as "event|data|id\n" lines. */
static int collect(void *user, const cx_sse_event *ev)
{
    cx_buf *b = user;
    cx__buf_printf(b, "%s|", ev->event);
    cx__buf_append(b, ev->data, ev->data_len);
    cx__buf_printf(b, "|%s\n", ev->id);
    return 0;
}

/* Feeds text in pieces of `step` bytes; returns what was dispatched. */
static char *run(const char *text, size_t len, size_t step, bool *cut)
{
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    cx_sse_parser *p = cx__sse_new(collect, &b);
    for (size_t i = 0; i < len; i += step)
        assert_int_equal(cx__sse_feed(p, text + i, len - i < step ? len - i : step), 0);
    bool c = cx__sse_finish(p);
    if (cut) *cut = c;
    cx__sse_free(p);
    return cx__buf_steal(&b);
}

static void every_split_gives_the_same_events(void **state)
{
    (void)state;
    const char *stream = "event: response.created\ndata: {\"a\":1}\n\n"
                         ": a comment line\n"
                         "event: response.output_text.delta\r\ndata: {\"delta\":\"x\"}\r\n\r\n"
                         "data: line one\ndata: line two\nid: 7\n\n"
                         "event: done\rdata: cr only\r\r"
                         "data\n\n"
                         "data:no-space\n\n";
    const char *want = "response.created|{\"a\":1}|\n"
                       "response.output_text.delta|{\"delta\":\"x\"}|\n"
                       "message|line one\nline two|7\n"
                       "done|cr only|7\n"
                       "message||7\n"
                       "message|no-space|7\n";
    size_t len = strlen(stream);
    for (size_t step = 1; step <= len; step++) {
        bool cut = true;
        char *got = run(stream, len, step, &cut);
        if (strcmp(got, want) != 0) fail_msg("split %zu gave:\n%s", step, got);
        assert_false(cut);
        free(got);
    }
}

static void crlf_split_between_cr_and_lf(void **state)
{
    (void)state;
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    cx_sse_parser *p = cx__sse_new(collect, &b);
    /* "\r" at the end of one piece and "\n" at the start of the next is one line end */
    assert_int_equal(cx__sse_feed(p, "data: a\r", 8), 0);
    assert_int_equal(cx__sse_feed(p, "\n\r", 2), 0);
    assert_int_equal(cx__sse_feed(p, "\ndata: b\r\n\r\n", 12), 0);
    assert_false(cx__sse_finish(p));
    cx__sse_free(p);
    assert_string_equal(b.data, "message|a|\nmessage|b|\n");
    cx__buf_free(&b);
}

static void bom_is_skipped(void **state)
{
    (void)state;
    const char *s = "\xEF\xBB\xBF"
                    "data: x\n\n";
    for (size_t step = 1; step <= 4; step++) {
        char *got = run(s, strlen(s), step, NULL);
        assert_string_equal(got, "message|x|\n");
        free(got);
    }
}

static void event_cut_by_end_of_stream(void **state)
{
    (void)state;
    const char *s = "data: complete\n\ndata: {\"partial\":";
    bool cut = false;
    char *got = run(s, strlen(s), 5, &cut);
    /* the unfinished event is not dispatched, and the caller learns the stream was cut */
    assert_string_equal(got, "message|complete|\n");
    assert_true(cut);
    free(got);
    got = run("data: x\n", 8, 3, &cut);
    assert_string_equal(got, "");
    assert_true(cut);
    free(got);
    got = run(": only a comment\n", 17, 3, &cut);
    assert_false(cut);
    free(got);
}

static int stop_at_second(void *user, const cx_sse_event *ev)
{
    (void)ev;
    int *n = user;
    return ++*n == 2 ? 42 : 0;
}

static void callback_can_stop_the_parser(void **state)
{
    (void)state;
    int n = 0;
    cx_sse_parser *p = cx__sse_new(stop_at_second, &n);
    const char *s = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    assert_int_equal(cx__sse_feed(p, s, strlen(s)), 42);
    assert_int_equal(n, 2);
    cx__sse_free(p);
}

static void large_event_in_tiny_pieces(void **state)
{
    (void)state;
    cx_buf s = CX_BUF_INIT;
    cx__buf_puts(&s, "data: ");
    for (int i = 0; i < 200000; i++)
        cx__buf_putc(&s, (char)('a' + i % 26));
    cx__buf_puts(&s, "\n\n");
    char *got = run(s.data, s.len, 7, NULL);
    assert_int_equal(strlen(got), 200000 + strlen("message||\n"));
    free(got);
    cx__buf_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_split_gives_the_same_events),
        cmocka_unit_test(crlf_split_between_cr_and_lf),
        cmocka_unit_test(bom_is_skipped),
        cmocka_unit_test(event_cut_by_end_of_stream),
        cmocka_unit_test(callback_can_stop_the_parser),
        cmocka_unit_test(large_event_in_tiny_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
