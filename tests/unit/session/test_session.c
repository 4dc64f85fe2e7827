/* The session layer: rollout lines, stored/sent item forms, replay rules,
 * finding sessions by id, --last and listings, history.jsonl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/json.h"
#include "ccodex/session.h"
#include "session/rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char *make_home(void)
{
    char tmpl[] = "/tmp/cx-sess-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(const char *dir)
{
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static json_object *parse(const char *s)
{
    json_object *o = NULL;
    assert_int_equal(cx__json_parse(s, strlen(s), &o, NULL), 0);
    return o;
}

static void append(cx_rollout *r, const char *type, const char *payload)
{
    json_object *p = parse(payload);
    cx_error err;
    assert_int_equal(cx__rollout_append(r, type, p, &err), 0);
    json_object_put(p);
}

/* Writes a small session: meta, a prompt, an answer. */
static char *write_session(const char *home, const char *id, const char *cwd, const char *source,
                           const char *prompt, time_t created)
{
    cx_rollout *r = cx__rollout_new(home, id, created);
    char meta[512];
    snprintf(meta, sizeof meta,
             "{\"id\":\"%s\",\"timestamp\":\"t\",\"cwd\":\"%s\",\"originator\":\"x\","
             "\"cli_version\":\"0.115.0\",\"source\":\"%s\",\"model_provider\":\"fake\","
             "\"base_instructions\":{\"text\":\"BASE\"}}",
             id, cwd, source);
    append(r, "session_meta", meta);
    char item[512];
    snprintf(item, sizeof item,
             "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
             "\"text\":\"%s\"}]}",
             prompt);
    append(r, "response_item", item);
    char ev[256];
    snprintf(ev, sizeof ev, "{\"type\":\"user_message\",\"message\":\"%s\"}", prompt);
    append(r, "event_msg", ev);
    char *path = strdup(cx__rollout_path(r));
    cx__rollout_free(r);
    struct timeval tv[2] = {{created, 0}, {created, 0}};
    utimes(path, tv);
    return path;
}

static void line_format_and_file_name(void **state)
{
    (void)state;
    char *home = make_home();
    char *path = write_session(home, "01a22a25-0000-7000-8000-000000000001", "/w", "exec", "P<&>",
                               1700000000);
    assert_non_null(strstr(path, "/sessions/"));
    assert_non_null(strstr(path, "-01a22a25-0000-7000-8000-000000000001.jsonl"));
    FILE *f = fopen(path, "r");
    char line[1024];
    assert_non_null(fgets(line, sizeof line, f));
    /* key order, compact, UTC milliseconds with Z */
    assert_int_equal(strncmp(line, "{\"timestamp\":\"", 14), 0);
    assert_int_equal(line[14 + 23], 'Z');
    assert_non_null(strstr(line, "\",\"type\":\"session_meta\",\"payload\":{\"id\":"));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "\"text\":\"P<&>\"")); /* raw, not \u-escaped */
    fclose(f);
    free(path);
    rm_rf(home);
    free(home);
}

static void apply_patch_output_round_trip(void **state)
{
    (void)state;
    json_object *sent = parse("{\"type\":\"custom_tool_call_output\",\"call_id\":\"c\","
                              "\"output\":\"Exit code: 0\\nWall time: 0.1 seconds\\nOutput:\\n"
                              "Success. Updated the following files:\\nA hello.txt\\n\"}");
    json_object *stored = cx__rollout_item_to_stored(sent);
    assert_string_equal(cx__json_get_str(stored, "output"),
                        "{\"output\":\"Success. Updated the following files:\\nA hello.txt\\n\","
                        "\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.1}}");
    json_object *back = cx__rollout_item_from_stored(stored);
    assert_true(json_object_equal(back, sent));
    /* other text (a failure message) is stored as it is */
    json_object *plain = parse("{\"type\":\"custom_tool_call_output\",\"call_id\":\"c\","
                               "\"output\":\"invalid patch\"}");
    json_object *same = cx__rollout_item_to_stored(plain);
    assert_ptr_equal(same, plain);
    json_object_put(same);
    json_object_put(plain);
    json_object_put(back);
    json_object_put(stored);
    json_object_put(sent);
}

static void replay_compaction_and_torn_line(void **state)
{
    (void)state;
    char *home = make_home();
    cx_rollout *r = cx__rollout_new(home, "01a22a25-0000-7000-8000-000000000002", time(NULL));
    append(r, "session_meta", "{\"id\":\"01a22a25-0000-7000-8000-000000000002\",\"cwd\":\"/w\"}");
    append(r, "response_item", "{\"type\":\"message\",\"role\":\"user\",\"content\":[]}");
    append(r, "turn_context", "{\"turn_id\":\"t1\",\"cwd\":\"/w\"}");
    append(r, "compacted",
           "{\"message\":\"\",\"replacement_history\":[{\"type\":\"compaction\","
           "\"encrypted_content\":\"E\"}]}");
    append(r, "response_item", "{\"type\":\"reasoning\",\"summary\":[],\"content\":null}");
    append(r, "event_msg", "{\"type\":\"token_count\",\"info\":{\"total_token_usage\":{}}}");
    append(r, "event_msg", "{\"type\":\"token_count\",\"info\":null}");
    char *path = strdup(cx__rollout_path(r));
    cx__rollout_free(r);
    FILE *f = fopen(path, "a");
    fputs("{\"timestamp\":\"x\",\"type\":\"respo", f); /* killed mid-write */
    fclose(f);
    cx_session_state *s = NULL;
    cx_error err;
    assert_int_equal(cx_session_load(path, &s, &err), 0);
    assert_string_equal(s->id, "01a22a25-0000-7000-8000-000000000002");
    assert_int_equal(json_object_array_length(s->history), 2);
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(s->history, 0), "type"),
                        "compaction");
    assert_null(s->turn_context); /* cleared by the compaction */
    assert_false(s->has_user_message);
    assert_non_null(s->token_info); /* the last non-null info */
    cx_session_state_free(s);
    assert_int_equal(cx_session_load("/nonexistent/x.jsonl", &s, &err), CX_ENOTFOUND);
    free(path);
    rm_rf(home);
    free(home);
}

static void find_by_id_last_and_list(void **state)
{
    (void)state;
    char *home = make_home();
    time_t t = 1700000000;
    char *a = write_session(home, "01a22a25-0000-7000-8000-00000000000a", "/w", "exec", "A", t);
    char *b = write_session(home, "01a22a25-0000-7000-8000-00000000000b", "/w", "cli", "B", t + 10);
    char *c =
        write_session(home, "01a22a25-0000-7000-8000-00000000000c", "/other", "cli", "C", t + 20);
    char *path = NULL;
    cx_error err;
    cx_session_query q = {.codex_home = home, .cwd = "/w", .provider = "fake"};
    assert_int_equal(cx_session_find(&q, &path, &err), 0);
    assert_string_equal(path, b);
    free(path);
    q.cwd = NULL; /* --all */
    assert_int_equal(cx_session_find(&q, &path, &err), 0);
    assert_string_equal(path, c);
    free(path);
    q.provider = "openai";
    assert_int_equal(cx_session_find(&q, &path, &err), CX_ENOTFOUND);
    /* by id: filters do not apply */
    q.id = "01a22a25-0000-7000-8000-00000000000a";
    assert_int_equal(cx_session_find(&q, &path, &err), 0);
    assert_string_equal(path, a);
    free(path);
    q.id = "01a22a25-0000-7000-8000-0000000000ff";
    assert_int_equal(cx_session_find(&q, &path, &err), CX_ENOTFOUND);
    /* the REPL picker: interactive sessions only, newest first */
    cx_session_query lq = {.codex_home = home, .provider = "fake", .interactive_only = true};
    cx_session_info *v = NULL;
    size_t n = 0;
    assert_int_equal(cx_session_list(&lq, 10, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].first_prompt, "C");
    assert_string_equal(v[1].first_prompt, "B");
    cx_session_info_free(v, n);
    free(a);
    free(b);
    free(c);
    rm_rf(home);
    free(home);
}

/* Replaces the first `from` in the file by `to` (same length) in place and
 * puts the modification time back: inode, size and mtime stay as they were. */
static void rewrite_keeping_stat(const char *path, const char *from, const char *to, time_t mtime)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    char *at = strstr(buf, from);
    assert_non_null(at);
    assert_int_equal(fseek(f, at - buf, SEEK_SET), 0);
    assert_int_equal(fwrite(to, 1, strlen(to), f), strlen(to));
    fclose(f);
    struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
    assert_int_equal(utimes(path, tv), 0);
}

static void expect_last(const char *home, const char *cwd, const char *want)
{
    cx_session_query q = {.codex_home = home, .cwd = cwd, .provider = "fake"};
    char *path = NULL;
    cx_error err;
    assert_int_equal(cx_session_find(&q, &path, &err), 0);
    assert_string_equal(path, want);
    free(path);
}

/* --last consults CODEX_HOME/ccodex-sessions-index for files it already read. A whole
 * record is trusted only while the file's inode, size and mtime match; its session_meta
 * fields (the first line, never rewritten by Codex) are trusted while the inode does, so a
 * file known not to match is not even stat'ed. */
static void listing_cache_is_used_and_validated(void **state)
{
    (void)state;
    char *home = make_home();
    time_t t = 1700000000;
    char *a = write_session(home, "01a22a25-0000-7000-8000-00000000000a", "/w", "exec", "A", t);
    char *b =
        write_session(home, "01a22a25-0000-7000-8000-00000000000b", "/x", "exec", "B", t + 10);
    expect_last(home, "/w", a);
    char *ix = NULL;
    assert_true(asprintf(&ix, "%s/ccodex-sessions-index", home) > 0);
    struct stat st;
    assert_int_equal(stat(ix, &st), 0);
    /* b now claims /w but keeps its inode: the record (cwd /x) is used, even once
     * its mtime moves on */
    rewrite_keeping_stat(b, "\"cwd\":\"/x\"", "\"cwd\":\"/w\"", t + 10);
    expect_last(home, "/w", a);
    struct timeval tv[2] = {{t + 11, 0}, {t + 11, 0}};
    assert_int_equal(utimes(b, tv), 0);
    expect_last(home, "/w", a);
    /* written anew (another inode, as an editor saves): b is read again */
    char *tmp = NULL;
    assert_true(asprintf(&tmp, "%s.new", b) > 0);
    FILE *in = fopen(b, "rb"), *out = fopen(tmp, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, got, out), got);
    fclose(in);
    fclose(out);
    assert_int_equal(utimes(tmp, tv), 0);
    assert_int_equal(rename(tmp, b), 0);
    free(tmp);
    expect_last(home, "/w", b);
    /* a damaged index is an empty one */
    FILE *f = fopen(ix, "wb");
    assert_non_null(f);
    fputs("ccodex-session-index 1\nrollout\t1\tx\n\\q\t\t\t\t\n", f);
    fclose(f);
    expect_last(home, "/w", b);
    cx_session_query q = {.codex_home = home, .cwd = "/x", .provider = "fake"};
    char *none = NULL;
    cx_error err;
    assert_int_equal(cx_session_find(&q, &none, &err), CX_ENOTFOUND);
    free(ix);
    free(a);
    free(b);
    rm_rf(home);
    free(home);
}

static void history_file_keeps_the_last_entries(void **state)
{
    (void)state;
    char *home = make_home();
    cx_error err;
    assert_null(cx_session_history_read(home, 3));
    for (int i = 0; i < 5; i++) {
        char t[16];
        snprintf(t, sizeof t, "p%d", i);
        assert_int_equal(cx_session_history_append(home, "sid", t, &err), 0);
    }
    char **h = cx_session_history_read(home, 3);
    assert_string_equal(h[0], "p2");
    assert_string_equal(h[1], "p3");
    assert_string_equal(h[2], "p4");
    assert_null(h[3]);
    for (char **p = h; *p; p++)
        free(*p);
    free(h);
    rm_rf(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(line_format_and_file_name),
        cmocka_unit_test(apply_patch_output_round_trip),
        cmocka_unit_test(replay_compaction_and_torn_line),
        cmocka_unit_test(find_by_id_last_and_list),
        cmocka_unit_test(listing_cache_is_used_and_validated),
        cmocka_unit_test(history_file_keeps_the_last_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
