/* shell / shell_command tools and shell_environment_policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "ccodex/config.h"
#include "ccodex/error.h"
#include "tools/output.h"
#include "tools/shell.h"
#include "tools/shell_env.h"

typedef struct fixture {
    char dir[64];
    cx_tool_registry *reg;
    atomic_bool cancel;
    cx_tool_env env;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/cx-shell-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    f->reg = cx_tools_new();
    cx__shell_tool_register(f->reg, true, NULL);
    cx__shell_command_tool_register(f->reg, true, NULL);
    atomic_init(&f->cancel, false);
    f->env.cwd = f->dir;
    f->env.shell = "/bin/bash";
    f->env.cancel = &f->cancel;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0) return -1;
    cx_tools_free(f->reg);
    free(f);
    return 0;
}

static int call(fixture *f, const char *tool, const char *args, cx_tool_output *out)
{
    const cx_tool_def *d = cx_tools_find(f->reg, tool);
    assert_non_null(d);
    cx_tool_call c = {tool, "call-1", CX_TOOL_FUNCTION, args};
    memset(out, 0, sizeof *out);
    return d->handler(d->state, &c, &f->env, out);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Replaces the wall-time figure by T: it depends on the machine. */
static const char *norm(const char *text)
{
    static char buf[4096];
    const char *w = strstr(text, "Wall time: ");
    if (!w) return text;
    const char *end = strstr(w, " seconds");
    snprintf(buf, sizeof buf, "%.*sWall time: T%s", (int)(w - text), text, end);
    return buf;
}

static void shell_command_success_text(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    assert_int_equal(call(f, "shell_command", "{\"command\":\"echo hi\"}", &out), 0);
    assert_string_equal(norm(out.text), "Exit code: 0\nWall time: T seconds\nOutput:\nhi\n");
    assert_true(out.success);
    cx_tool_output_clear(&out);
}

static void shell_command_failure_is_reported(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    assert_int_equal(
        call(f, "shell_command", "{\"command\":\"echo oops >&2; exit 3\",\"login\":false}", &out),
        0);
    assert_string_equal(norm(out.text), "Exit code: 3\nWall time: T seconds\nOutput:\noops\n");
    assert_false(out.success);
    cx_tool_output_clear(&out);
}

static void shell_command_timeout(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    double t0 = now_s();
    assert_int_equal(call(f, "shell_command",
                          "{\"command\":\"echo started; sleep 20\",\"timeout_ms\":300}", &out),
                     0);
    assert_true(now_s() - t0 < 5.0);
    assert_non_null(strstr(out.text, "Exit code: 124\n"));
    assert_non_null(strstr(out.text, "Output:\ncommand timed out after "));
    assert_non_null(strstr(out.text, " milliseconds\nstarted\n"));
    assert_false(out.success);
    cx_tool_output_clear(&out);
}

static void shell_argv_structured_json(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    assert_int_equal(call(f, "shell", "{\"command\":[\"printf\",\"a\\\\nb\"]}", &out), 0);
    const char *want = "{\"output\":\"a\\nb\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":";
    assert_true(strncmp(out.text, want, strlen(want)) == 0);
    /* serde's float form: always a decimal point, one decimal */
    unsigned whole, tenth;
    char close[3] = "";
    assert_int_equal(sscanf(out.text + strlen(want), "%u.%1u%2s", &whole, &tenth, close), 3);
    assert_string_equal(close, "}}");
    assert_true(out.success);
    cx_tool_output_clear(&out);
}

static void shell_missing_program(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    assert_int_equal(call(f, "shell", "{\"command\":[\"no-such-program-xyz\"]}", &out), 0);
    assert_string_equal(out.text,
                        "execution error: no-such-program-xyz: No such file or directory");
    assert_false(out.success);
    cx_tool_output_clear(&out);
}

static void shell_bad_arguments(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    assert_int_equal(call(f, "shell", "{\"cmd\":[\"ls\"]}", &out), 0);
    assert_string_equal(out.text,
                        "failed to parse function arguments: missing field `command` at line 1 "
                        "column 14");
    assert_false(out.success);
    cx_tool_output_clear(&out);
    assert_int_equal(call(f, "shell_command", "not json", &out), 0);
    assert_string_equal(out.text,
                        "failed to parse function arguments: expected ident at line 1 column 2");
    cx_tool_output_clear(&out);
}

static void workdir_relative_and_missing(void **state)
{
    fixture *f = *state;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", f->dir);
    mkdir(sub, 0755);
    cx_tool_output out;
    assert_int_equal(call(f, "shell", "{\"command\":[\"pwd\"],\"workdir\":\"sub\"}", &out), 0);
    char want[256];
    snprintf(want, sizeof want, "{\"output\":\"%s\\n\",", sub);
    assert_true(strncmp(out.text, want, strlen(want)) == 0);
    cx_tool_output_clear(&out);
    assert_int_equal(call(f, "shell", "{\"command\":[\"pwd\"],\"workdir\":\"nope\"}", &out), 0);
    assert_non_null(strstr(out.text, "execution error: working directory "));
    assert_non_null(strstr(out.text, "/nope: No such file or directory"));
    cx_tool_output_clear(&out);
}

static void large_output_is_cut_in_the_middle(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    /* 20,000 numbered lines: ~108 KB, well over the 10,000-token budget */
    assert_int_equal(
        call(f, "shell_command", "{\"command\":\"seq 1 20000\",\"login\":false}", &out), 0);
    assert_non_null(strstr(out.text, "Total output lines: 20000\nOutput:\n1\n2\n"));
    assert_non_null(strstr(out.text, "tokens truncated…"));
    assert_non_null(strstr(out.text, "19999\n20000\n"));
    assert_true(strlen(out.text) < 45000);
    cx_tool_output_clear(&out);
    /* the JSON form puts the line count in front of the body */
    assert_int_equal(call(f, "shell", "{\"command\":[\"seq\",\"1\",\"20000\"]}", &out), 0);
    assert_true(strncmp(out.text, "{\"output\":\"Total output lines: 20000\\n\\n1\\n2\\n", 45) ==
                0);
    cx_tool_output_clear(&out);
}

static void background_child_does_not_hang(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    double t0 = now_s();
    assert_int_equal(
        call(f, "shell_command", "{\"command\":\"sleep 30 & echo bg\",\"login\":false}", &out), 0);
    double took = now_s() - t0;
    assert_true(took < 6.0);
    assert_non_null(strstr(out.text, "Exit code: 0\n"));
    assert_non_null(strstr(out.text, "bg\n"));
    cx_tool_output_clear(&out);
}

static void *cancel_later(void *arg)
{
    fixture *f = arg;
    usleep(200000);
    atomic_store(&f->cancel, true);
    return NULL;
}

static void interrupt_kills_the_command(void **state)
{
    fixture *f = *state;
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, f);
    cx_tool_output out;
    double t0 = now_s();
    int rc = call(f, "shell_command", "{\"command\":\"sleep 30\",\"timeout_ms\":60000}", &out);
    pthread_join(t, NULL);
    assert_int_equal(rc, CX_ECANCELED);
    assert_true(now_s() - t0 < 3.0);
    cx_tool_output_clear(&out);
}

static void heredoc_patch_is_intercepted(void **state)
{
    fixture *f = *state;
    cx_tool_output out;
    const char *args =
        "{\"command\":\"apply_patch <<'EOF'\\n*** Begin Patch\\n*** Add File: made.txt\\n+made\\n"
        "*** End Patch\\nEOF\\n\"}";
    assert_int_equal(call(f, "shell_command", args, &out), 0);
    assert_non_null(strstr(out.text, "Success. Updated the following files:\nA made.txt\n"));
    cx_tool_output_clear(&out);
    char path[128];
    snprintf(path, sizeof path, "%s/made.txt", f->dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[32] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_string_equal(line, "made\n");
}

static void hidden_tools_are_not_declared(void **state)
{
    (void)state;
    cx_tool_registry *reg = cx_tools_new();
    assert_int_equal(cx__shell_tool_register(reg, false, NULL), 0);
    assert_int_equal(cx__shell_command_tool_register(reg, true, NULL), 0);
    json_object *specs = cx_tools_specs(reg);
    assert_int_equal(json_object_array_length(specs), 1);
    assert_string_equal(cx__json_get_str(json_object_array_get_idx(specs, 0), "name"),
                        "shell_command");
    json_object *params = cx__json_get(json_object_array_get_idx(specs, 0), "parameters");
    json_object *props = cx__json_get(params, "properties");
    const char *names[] = {"command", "justification", "prefix_rule", "sandbox_permissions",
                           "login",   "timeout_ms",    "workdir"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_non_null(cx__json_get(props, names[i]));
    assert_non_null(cx_tools_find(reg, "shell"));
    assert_true(cx_tools_find(reg, "shell")->parallel);
    json_object_put(specs);
    cx_tools_free(reg);
}

static bool has(char **env, const char *kv)
{
    for (size_t i = 0; env[i]; i++)
        if (!strcmp(env[i], kv)) return true;
    return false;
}

static bool has_name(char **env, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; env[i]; i++)
        if (!strncmp(env[i], name, n) && env[i][n] == '=') return true;
    return false;
}

static void env_policy(void **state)
{
    (void)state;
    char *base[] = {"PATH=/bin", "HOME=/h", "MY_API_KEY=k", "GH_TOKEN=t", "AWS_REGION=x",
                    "LANG=C",    NULL};
    /* defaults: everything inherited, nothing dropped */
    char **e = cx__shell_env_build(base, NULL, NULL);
    assert_true(has(e, "MY_API_KEY=k") && has(e, "AWS_REGION=x") && has(e, "LANG=C"));
    cx__shell_env_free(e);

    json_object *p = NULL;
    const char *toml_like = "{\"inherit\":\"core\",\"ignore_default_excludes\":false,"
                            "\"set\":{\"FOO\":\"bar\",\"PATH\":\"/usr/bin\"}}";
    assert_int_equal(cx__json_parse(toml_like, strlen(toml_like), &p, NULL), 0);
    e = cx__shell_env_build(base, p, (const char *const[]){"TERM=dumb", NULL});
    assert_true(has(e, "PATH=/usr/bin") && has(e, "HOME=/h") && has(e, "FOO=bar") &&
                has(e, "TERM=dumb"));
    assert_false(has_name(e, "LANG") || has_name(e, "MY_API_KEY") || has_name(e, "GH_TOKEN"));
    cx__shell_env_free(e);
    json_object_put(p);

    const char *ex = "{\"exclude\":[\"aws_*\"],\"ignore_default_excludes\":false}";
    assert_int_equal(cx__json_parse(ex, strlen(ex), &p, NULL), 0);
    e = cx__shell_env_build(base, p, NULL);
    assert_false(has_name(e, "AWS_REGION") || has_name(e, "MY_API_KEY") || has_name(e, "GH_TOKEN"));
    assert_true(has(e, "LANG=C") && has(e, "PATH=/bin"));
    cx__shell_env_free(e);
    json_object_put(p);

    const char *only = "{\"inherit\":\"all\",\"include_only\":[\"PATH\",\"H*\"]}";
    assert_int_equal(cx__json_parse(only, strlen(only), &p, NULL), 0);
    e = cx__shell_env_build(base, p, NULL);
    assert_true(has(e, "PATH=/bin") && has(e, "HOME=/h"));
    assert_false(has_name(e, "LANG") || has_name(e, "AWS_REGION"));
    cx__shell_env_free(e);
    json_object_put(p);

    const char *none = "{\"inherit\":\"none\",\"set\":{\"ONLY\":\"1\"}}";
    assert_int_equal(cx__json_parse(none, strlen(none), &p, NULL), 0);
    e = cx__shell_env_build(base, p, NULL);
    assert_true(has(e, "ONLY=1"));
    assert_null(e[1]);
    cx__shell_env_free(e);
    json_object_put(p);

    assert_true(cx__shell_env_match("*key*", "MY_API_KEY"));
    assert_true(cx__shell_env_match("A?C", "abc"));
    assert_false(cx__shell_env_match("A?C", "abbc"));
    assert_true(cx__shell_env_match("*", ""));
    assert_false(cx__shell_env_match("PATH", "PATHX"));
}

static void env_reaches_the_command(void **state)
{
    fixture *f = *state;
    cx_config cfg = {0};
    cfg.sandbox_mode = "read-only";
    const char *doc = "{\"shell_environment_policy\":{\"set\":{\"CX_FROM_POLICY\":\"yes\"}}}";
    assert_int_equal(cx__json_parse(doc, strlen(doc), &cfg.root, NULL), 0);
    f->env.config = &cfg;
    cx_tool_output out;
    assert_int_equal(call(f, "shell_command",
                          "{\"command\":\"echo $CX_FROM_POLICY "
                          "$CODEX_SANDBOX_NETWORK_DISABLED\",\"login\":false}",
                          &out),
                     0);
    assert_non_null(strstr(out.text, "Output:\nyes 1\n"));
    cx_tool_output_clear(&out);
    cfg.sandbox_mode = "danger-full-access";
    assert_int_equal(
        call(f, "shell_command",
             "{\"command\":\"echo [$CODEX_SANDBOX_NETWORK_DISABLED]\",\"login\":false}", &out),
        0);
    assert_non_null(strstr(out.text, "Output:\n[]\n"));
    cx_tool_output_clear(&out);
    f->env.config = NULL;
    json_object_put(cfg.root);
}

static void seconds_format(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(cx__output_format_seconds(0.0, b, sizeof b), "0");
    assert_string_equal(cx__output_format_seconds(0.04, b, sizeof b), "0");
    assert_string_equal(cx__output_format_seconds(0.16, b, sizeof b), "0.2");
    assert_string_equal(cx__output_format_seconds(12.0, b, sizeof b), "12");
    assert_string_equal(cx__output_format_seconds(1.25, b, sizeof b), "1.3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(shell_command_success_text, setup, teardown),
        cmocka_unit_test_setup_teardown(shell_command_failure_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(shell_command_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(shell_argv_structured_json, setup, teardown),
        cmocka_unit_test_setup_teardown(shell_missing_program, setup, teardown),
        cmocka_unit_test_setup_teardown(shell_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(workdir_relative_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(large_output_is_cut_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(background_child_does_not_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(interrupt_kills_the_command, setup, teardown),
        cmocka_unit_test_setup_teardown(heredoc_patch_is_intercepted, setup, teardown),
        cmocka_unit_test_setup_teardown(env_reaches_the_command, setup, teardown),
        cmocka_unit_test(hidden_tools_are_not_declared),
        cmocka_unit_test(env_policy),
        cmocka_unit_test(seconds_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
