/* Portable bundles: base58, sealing, zip round trip and unsafe archives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "portable/portable.h"

static char *b58(const char *data, size_t len)
{
    cx_buf b = CX_BUF_INIT;
    cx_portable_base58((const unsigned char *)data, len, &b);
    cx_buf_puts(&b, "");
    return cx_buf_steal(&b);
}

static void base58_vectors(void **state)
{
    (void)state;
    /* the usual Bitcoin-alphabet vectors */
    const char *cases[][2] = {{"", "1"}, {"\x00", "1"}, {"\x00\x00\x01", "112"}, {"a", "2g"},
                              {"hello world", "StV1DL6CwTryKyV"}, {"\xff\xff", "LUv"}};
    size_t lens[] = {0, 1, 3, 1, 11, 2};
    for (size_t i = 0; i < 6; i++) {
        char *s = b58(cases[i][0], lens[i]);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

static void seal_round_trip_and_tamper(void **state)
{
    (void)state;
    const char *msg = "the bundle bytes";
    cx_buf sealed = CX_BUF_INIT, plain = CX_BUF_INIT;
    cx_error err;
    assert_int_equal(cx_portable_seal("s3cret", (const unsigned char *)msg, strlen(msg), &sealed, &err), 0);
    assert_int_equal(sealed.len, 4 + 12 + strlen(msg) + 16);
    assert_memory_equal(sealed.data, "PCX1", 4);
    assert_int_equal(cx_portable_open("s3cret", (const unsigned char *)sealed.data, sealed.len, &plain, &err), 0);
    assert_int_equal(plain.len, strlen(msg));
    assert_memory_equal(plain.data, msg, plain.len);
    cx_buf_reset(&plain);
    assert_int_not_equal(cx_portable_open("other", (const unsigned char *)sealed.data, sealed.len, &plain, &err), 0);
    assert_string_equal(err.msg, "call secret is invalid or bundle is corrupted");
    sealed.data[20] ^= 1;
    cx_buf_reset(&plain);
    assert_int_not_equal(cx_portable_open("s3cret", (const unsigned char *)sealed.data, sealed.len, &plain, &err), 0);
    assert_int_not_equal(cx_portable_open("s3cret", (const unsigned char *)"XXXX", 4, &plain, &err), 0);
    assert_string_equal(err.msg, "stored bundle is not a recognized encrypted payload");
    cx_buf_free(&sealed);
    cx_buf_free(&plain);
}

static void write_at(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static void collect_and_zip_round_trip(void **state)
{
    (void)state;
    char home[] = "/tmp/cx-port-XXXXXX", out[] = "/tmp/cx-port-out-XXXXXX";
    assert_non_null(mkdtemp(home));
    assert_non_null(mkdtemp(out));
    write_at(home, "config.toml", "model = \"m\"\n[profiles.x]\nmodel_instructions_file = \"p/i.md\"\n");
    write_at(home, "p/i.md", "instructions");
    write_at(home, "skills/a/b/SKILL.md", "deep");
    write_at(home, "history.jsonl", "private");
    cx_error err;
    char **files = cx_portable_collect(home, &err);
    assert_non_null(files);
    assert_string_equal(files[0], "config.toml");
    assert_string_equal(files[1], "p/i.md");
    assert_string_equal(files[2], "skills/a/b/SKILL.md");
    assert_null(files[3]);
    cx_buf zip = CX_BUF_INIT;
    assert_int_equal(cx_portable_zip(home, files, &zip, &err), 0);
    assert_int_equal(cx_portable_unzip((const unsigned char *)zip.data, zip.len, out, &err), 0);
    char path[256], buf[64] = "";
    snprintf(path, sizeof path, "%s/skills/a/b/SKILL.md", out);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "deep");
    /* a corrupted archive is an error, not a crash */
    zip.data[zip.len / 3] ^= 0x55;
    int rc = cx_portable_unzip((const unsigned char *)zip.data, zip.len, out, &err);
    (void)rc; /* may or may not hit a checked byte; it must simply not crash */
    assert_int_not_equal(cx_portable_unzip((const unsigned char *)"PK", 2, out, &err), 0);
    cx_buf_free(&zip);
    cx_portable_list_free(files);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", home, out);
    assert_int_equal(system(cmd), 0);
}

static void unsafe_members_are_refused(void **state)
{
    (void)state;
    char home[] = "/tmp/cx-port-XXXXXX", out[] = "/tmp/cx-port-out-XXXXXX";
    assert_non_null(mkdtemp(home));
    assert_non_null(mkdtemp(out));
    write_at(home, "ok.txt", "x");
    /* exact-length unsafe names: "../x.t" (6 bytes) and "/x.txt" */
    const char *six[] = {"../x.t", "/x.txt", "./x.tx"};
    for (size_t i = 0; i < 3; i++) {
        char *list[] = {"ok.txt", NULL};
        cx_buf zip = CX_BUF_INIT;
        cx_error err;
        assert_int_equal(cx_portable_zip(home, list, &zip, &err), 0);
        for (size_t k = 0; k + 6 <= zip.len; k++)
            if (!memcmp(zip.data + k, "ok.txt", 6)) memcpy(zip.data + k, six[i], 6);
        assert_int_not_equal(cx_portable_unzip((const unsigned char *)zip.data, zip.len, out, &err), 0);
        assert_non_null(strstr(err.msg, "unsafe paths"));
        cx_buf_free(&zip);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test ! -e %s/../x.t && rm -rf %s %s", out, home, out);
    assert_int_equal(system(cmd), 0);
}

static void tokens(void **state)
{
    (void)state;
    cx_portable_token t;
    cx_error err;
    assert_int_equal(cx_portable_parse_token("abc-def-2Zx@host:5577", &t, &err), 0);
    assert_string_equal(t.secret, "abc-def");
    assert_string_equal(t.call_id, "2Zx");
    assert_string_equal(t.server, "host:5577");
    cx_portable_token_free(&t);
    assert_int_not_equal(cx_portable_parse_token("nodash@host:1", &t, &err), 0);
    assert_int_not_equal(cx_portable_parse_token("s-id", &t, &err), 0);
    assert_int_not_equal(cx_portable_parse_token("s-../x@h:1", &t, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base58_vectors), cmocka_unit_test(seal_round_trip_and_tamper),
        cmocka_unit_test(collect_and_zip_round_trip), cmocka_unit_test(unsafe_members_are_refused),
        cmocka_unit_test(tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
