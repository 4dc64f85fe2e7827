/* The TOML parser against every TOML 1.0 case of the toml-test suite
 * (../shared/toml-test): valid documents must parse to the expected typed
 * JSON, invalid ones must be rejected. Also unit cases for error positions.
 * `test_toml_suite --dump FILE` prints a document in toml-test's typed JSON,
 * for the differential test against Python's tomllib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "support.h"
#include "base/json.h"
#include "base/toml.h"

#define SUITE CX_SHARED_DIR "/toml-test/tests"

static json_object *leaf(const char *type, const char *value)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", type);
    cx__json_set_str(o, "value", value);
    return o;
}

/* Our tree in toml-test's typed form (new). */
static json_object *tagged(json_object *v)
{
    char num[64];
    switch (json_object_get_type(v)) {
    case json_type_object: {
        json_object *o = json_object_new_object();
        json_object_object_foreach(v, k, child) cx__json_set(o, k, tagged(child));
        return o;
    }
    case json_type_array: {
        json_object *a = json_object_new_array();
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(a, tagged(json_object_array_get_idx(v, i)));
        return a;
    }
    case json_type_string: {
        const char *kind = cx__toml_datetime_kind(v);
        if (kind) return leaf(kind, json_object_get_string(v));
        /* strings may hold U+0000, so keep their length */
        json_object *o = json_object_new_object();
        cx__json_set_str(o, "type", "string");
        cx__json_set(
            o, "value",
            json_object_new_string_len(json_object_get_string(v), json_object_get_string_len(v)));
        return o;
    }
    case json_type_int:
        snprintf(num, sizeof num, "%lld", (long long)json_object_get_int64(v));
        return leaf("integer", num);
    case json_type_double: {
        double d = json_object_get_double(v);
        if (isnan(d))
            snprintf(num, sizeof num, "nan");
        else if (isinf(d))
            snprintf(num, sizeof num, d > 0 ? "inf" : "-inf");
        else
            snprintf(num, sizeof num, "%.17g", d);
        return leaf("float", num);
    }
    case json_type_boolean:
        return leaf("bool", json_object_get_boolean(v) ? "true" : "false");
    default:
        return leaf("null", "");
    }
}

static void norm_datetime(const char *in, char *out, size_t size)
{
    size_t k = 0;
    for (const char *p = in; *p && k + 1 < size; p++) {
        char c = *p;
        if (c == ' ' || c == 't') c = 'T';
        if (c == 'z') c = 'Z';
        out[k++] = c;
    }
    out[k] = '\0';
    /* "+00:00" and "Z" name the same instant; toml-test writes either */
    size_t n = strlen(out);
    if (n > 6 && !strcmp(out + n - 6, "+00:00")) strcpy(out + n - 6, "Z");
    if (n > 6 && !strcmp(out + n - 6, "-00:00")) strcpy(out + n - 6, "Z");
    /* trailing zeros of a fraction carry no information */
    char *dot = strchr(out, '.');
    if (dot) {
        char *end = dot + 1;
        while (isdigit((unsigned char)*end))
            end++;
        char *z = end;
        while (z > dot + 1 && z[-1] == '0')
            z--;
        if (z == dot + 1) z = dot;
        memmove(z, end, strlen(end) + 1);
    }
}

static bool leaf_equal(json_object *want, json_object *got)
{
    const char *wt = cx__json_get_str(want, "type"), *gt = cx__json_get_str(got, "type");
    const char *wv = cx__json_get_str(want, "value"), *gv = cx__json_get_str(got, "value");
    if (!wt || !gt || !wv || !gv || strcmp(wt, gt)) return false;
    if (!strcmp(wt, "integer")) return strtoll(wv, NULL, 10) == strtoll(gv, NULL, 10);
    if (!strcmp(wt, "float")) {
        double a = strtod(!strcmp(wv, "+inf") ? "inf" : wv, NULL);
        double b = strtod(gv, NULL);
        if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
        return a == b;
    }
    if (strstr(wt, "date") || strstr(wt, "time")) {
        char a[128], b[128];
        norm_datetime(wv, a, sizeof a);
        norm_datetime(gv, b, sizeof b);
        return !strcmp(a, b);
    }
    return !strcmp(wv, gv);
}

static bool is_leaf(json_object *o)
{
    return json_object_is_type(o, json_type_object) && json_object_object_length(o) == 2 &&
           cx__json_get_str(o, "type") && cx__json_get(o, "value") &&
           json_object_is_type(cx__json_get(o, "value"), json_type_string);
}

static bool deep_equal(json_object *want, json_object *got)
{
    if (is_leaf(want)) return is_leaf(got) && leaf_equal(want, got);
    if (json_object_get_type(want) != json_object_get_type(got)) return false;
    if (json_object_is_type(want, json_type_array)) {
        size_t n = json_object_array_length(want);
        if (n != json_object_array_length(got)) return false;
        for (size_t i = 0; i < n; i++)
            if (!deep_equal(json_object_array_get_idx(want, i), json_object_array_get_idx(got, i)))
                return false;
        return true;
    }
    if (json_object_is_type(want, json_type_object)) {
        if (json_object_object_length(want) != json_object_object_length(got)) return false;
        json_object_object_foreach(want, k, v)
        {
            json_object *g = cx__json_get(got, k);
            if (!g || !deep_equal(v, g)) return false;
        }
        return true;
    }
    return false;
}

static void toml_test_suite(void **state)
{
    (void)state;
    size_t len;
    char *list = cx_test_slurp(SUITE "/files-toml-1.0.0", &len);
    assert_non_null(list);
    int valid = 0, invalid = 0, failed = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        size_t n = strlen(line);
        if (n < 5 || strcmp(line + n - 5, ".toml")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SUITE, line);
        size_t tlen;
        char *text = cx_test_slurp(path, &tlen);
        if (!text) {
            printf("MISSING %s\n", line);
            failed++;
            continue;
        }
        json_object *doc = NULL;
        cx_error err;
        int rc = cx__toml_parse(text, tlen, &doc, &err);
        if (!strncmp(line, "valid/", 6)) {
            valid++;
            char jpath[1024];
            snprintf(jpath, sizeof jpath, "%.*s.json", (int)(strlen(path) - 5), path);
            size_t jlen;
            char *jtext = cx_test_slurp(jpath, &jlen);
            json_object *want = NULL;
            if (rc) {
                printf("FAIL %s: rejected: %s\n", line, err.msg);
                failed++;
            } else if (!jtext || cx__json_parse(jtext, jlen, &want, NULL)) {
                printf("FAIL %s: no expected JSON\n", line);
                failed++;
            } else {
                json_object *got = tagged(doc);
                if (!deep_equal(want, got)) {
                    char *g = cx__json_to_string(got);
                    printf("FAIL %s: got %.300s\n", line, g);
                    free(g);
                    failed++;
                }
                json_object_put(got);
            }
            json_object_put(want);
            free(jtext);
        } else {
            invalid++;
            if (rc == 0) {
                printf("FAIL %s: accepted an invalid document\n", line);
                failed++;
            }
        }
        json_object_put(doc);
        free(text);
    }
    printf("toml-test 1.0.0: %d valid, %d invalid cases, %d failed\n", valid, invalid, failed);
    free(list);
    assert_true(valid > 150 && invalid > 200);
    assert_int_equal(failed, 0);
}

static void errors_name_line_and_column(void **state)
{
    (void)state;
    json_object *doc = NULL;
    cx_error err;
    const char *bad = "a = 1\nb = [1, 2\n";
    assert_int_equal(cx__toml_parse(bad, strlen(bad), &doc, &err), CX_EPARSE);
    assert_non_null(strstr(err.msg, "line 3"));
    const char *dup = "[t]\nx = 1\n[t]\ny = 2\n";
    assert_int_equal(cx__toml_parse(dup, strlen(dup), &doc, &err), CX_EPARSE);
    assert_non_null(strstr(err.msg, "line 3, column"));
    const char *esc = "s = \"bad \\q escape\"";
    assert_int_equal(cx__toml_parse(esc, strlen(esc), &doc, &err), CX_EPARSE);
    assert_non_null(strstr(err.msg, "line 1, column 10"));
    const char *ok = "model = \"gpt\"\n[model_providers.fake]\nbase_url = 'http://x'\nn = 0x10\n"
                     "f = 1_000.5e1\nd = 1979-05-27T07:32:00Z\n[[a]]\nk = [1, 'two', {z = true}]\n";
    assert_int_equal(cx__toml_parse(ok, strlen(ok), &doc, &err), 0);
    json_object *prov = cx__json_get(cx__json_get(doc, "model_providers"), "fake");
    assert_string_equal(cx__json_get_str(prov, "base_url"), "http://x");
    int64_t n = 0;
    assert_true(cx__json_get_int(prov, "n", &n));
    assert_int_equal(n, 16);
    assert_string_equal(cx__toml_datetime_kind(cx__json_get(prov, "d")), "datetime");
    json_object_put(doc);
    json_object *v = NULL;
    assert_int_equal(cx__toml_parse_value("[1, 2]", 6, &v, &err), 0);
    assert_int_equal(json_object_array_length(v), 2);
    json_object_put(v);
    assert_int_equal(cx__toml_parse_value("bare words", 10, &v, &err), CX_EPARSE);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--dump")) {
        size_t len;
        char *text = cx_test_slurp(argv[2], &len);
        json_object *doc = NULL;
        cx_error err;
        if (!text || cx__toml_parse(text, len, &doc, &err) != 0) {
            fprintf(stderr, "%s\n", text ? err.msg : "cannot read file");
            free(text);
            return 1;
        }
        json_object *t = tagged(doc);
        char *s = cx__json_to_string(t);
        puts(s);
        free(s);
        json_object_put(t);
        json_object_put(doc);
        free(text);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_name_line_and_column),
        cmocka_unit_test(toml_test_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
