/* Config loading: CODEX_HOME, config.toml, profiles, -c overrides, providers,
 * errors with positions, .env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "ccodex/config.h"
#include "ccodex/error.h"

static char home[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", home, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(home, sizeof home, "/tmp/cx-config-XXXXXX");
    if (!mkdtemp(home)) return -1;
    unsetenv("OPENAI_BASE_URL");
    setenv("OPENAI_API_KEY", "sk-openai", 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    return system(cmd) == 0 ? 0 : -1;
}

static cx_config *load(const cx_config_options *extra, cx_error *err, int want_rc)
{
    cx_config_options o = extra ? *extra : (cx_config_options){0};
    o.codex_home = home;
    cx_config *c = NULL;
    int rc = cx_config_load(&o, &c, err);
    if (rc != want_rc) fail_msg("rc %d (want %d): %s", rc, want_rc, rc ? err->msg : "");
    return c;
}

static void defaults_without_a_file(void **state)
{
    (void)state;
    cx_error err;
    cx_config *c = load(NULL, &err, 0);
    assert_string_equal(c->model, "gpt-5.1-codex");
    assert_string_equal(c->model_provider_id, "openai");
    assert_string_equal(c->provider.base_url, "https://api.openai.com/v1");
    assert_string_equal(c->provider.api_key, "sk-openai");
    assert_int_equal(c->provider.request_max_retries, 4);
    assert_int_equal(c->provider.stream_max_retries, 5);
    assert_int_equal(c->provider.stream_idle_timeout_ms, 300000);
    assert_string_equal(c->sandbox_mode, "read-only");
    assert_string_equal(c->approval_policy, "never");
    assert_string_equal(c->codex_home, home);
    cx_config_free(c);
    cx_config_options o = {.interactive = true};
    c = load(&o, &err, 0);
    assert_string_equal(c->approval_policy, "on-request");
    cx_config_free(c);
}

static void file_profile_and_flags(void **state)
{
    (void)state;
    write_file("config.toml",
               "model = \"base-model\"\nprofile = \"fast\"\nmodel_reasoning_effort = \"high\"\n"
               "[profiles.fast]\nmodel = \"fast-model\"\n"
               "[profiles.deep]\nmodel_reasoning_effort = \"xhigh\"\n");
    cx_error err;
    cx_config *c = load(NULL, &err, 0);
    assert_string_equal(c->model, "fast-model"); /* the file's own profile key */
    assert_string_equal(c->profile, "fast");
    assert_string_equal(c->model_reasoning_effort, "high");
    cx_config_free(c);
    cx_config_options o = {.profile = "deep"};
    c = load(&o, &err, 0);
    assert_string_equal(c->model, "base-model");
    assert_string_equal(c->model_reasoning_effort, "xhigh");
    cx_config_free(c);
    o = (cx_config_options){.profile = "deep",
                            .model = "cli-model",
                            .sandbox_mode = "workspace-write",
                            .approval_policy = "on-failure"};
    c = load(&o, &err, 0);
    assert_string_equal(c->model, "cli-model");
    assert_string_equal(c->sandbox_mode, "workspace-write");
    assert_string_equal(c->approval_policy, "on-failure");
    cx_config_free(c);
    o = (cx_config_options){.profile = "nope"};
    load(&o, &err, CX_ECONFIG);
    assert_non_null(strstr(err.msg, "config profile 'nope' not found"));
}

static void overrides_take_toml_values_and_dotted_keys(void **state)
{
    (void)state;
    write_file("config.toml",
               "[model_providers.local]\nname = \"L\"\nbase_url = \"http://a/v1\"\n");
    const char *ov[] = {"model_provider=local",
                        "model_providers.local.base_url=\"http://b:1/v1\"",
                        "model_providers.local.stream_max_retries=0",
                        "features.unified_exec=false",
                        "shell_environment_policy.set={FOO = \"1\"}",
                        "model=gpt-x"};
    cx_config_options o = {.overrides = ov, .n_overrides = 6};
    cx_error err;
    cx_config *c = load(&o, &err, 0);
    assert_string_equal(c->model_provider_id, "local");
    assert_string_equal(c->provider.base_url, "http://b:1/v1");
    assert_int_equal(c->provider.stream_max_retries, 0);
    assert_string_equal(c->model, "gpt-x"); /* not TOML: taken as a string */
    bool on = true;
    assert_true(cx__json_get_bool(c->features, "unified_exec", &on));
    assert_false(on);
    json_object *set = cx__json_get(cx__json_get(c->root, "shell_environment_policy"), "set");
    assert_string_equal(cx__json_get_str(set, "FOO"), "1");
    cx_config_free(c);
    const char *bad[] = {"novalue"};
    o = (cx_config_options){.overrides = bad, .n_overrides = 1};
    load(&o, &err, CX_ECONFIG);
    assert_non_null(strstr(err.msg, "novalue"));
}

static void providers_and_keys(void **state)
{
    (void)state;
    setenv("CX_TEST_KEY", "sk-local", 1);
    write_file("config.toml",
               "model_provider = \"p\"\n[model_providers.p]\nbase_url = \"http://x/v1\"\n"
               "env_key = \"CX_TEST_KEY\"\nrequest_max_retries = 1000\n"
               "http_headers = { \"X-A\" = \"b\" }\n");
    cx_error err;
    cx_config *c = load(NULL, &err, 0);
    assert_string_equal(c->provider.api_key, "sk-local");
    assert_string_equal(c->provider.name, "p");
    assert_int_equal(c->provider.request_max_retries, 100); /* capped as upstream */
    assert_string_equal(cx__json_get_str(c->provider.http_headers, "X-A"), "b");
    cx_config_free(c);
    write_file("config.toml", "model_provider = \"missing\"\n");
    load(NULL, &err, CX_ECONFIG);
    assert_non_null(strstr(err.msg, "model provider 'missing' not found"));
    write_file("config.toml",
               "model_provider = \"c\"\n[model_providers.c]\nbase_url = \"http://x\"\n"
               "wire_api = \"chat\"\n");
    cx_config *chat = load(NULL, &err, 0); /* reached through the in-process responses server */
    assert_string_equal(chat->provider.wire_api, "chat");
    cx_config_free(chat);
    write_file("config.toml",
               "model_provider = \"c\"\n[model_providers.c]\nbase_url = \"http://x\"\n"
               "wire_api = \"grpc\"\n");
    load(NULL, &err, CX_ECONFIG);
    assert_non_null(strstr(err.msg, "use 'responses' or 'chat'"));
    unsetenv("CX_TEST_KEY");
}

static void errors_name_file_line_column_and_key(void **state)
{
    (void)state;
    write_file("config.toml", "model = \"a\"\n\nsandbox_mode = \n");
    cx_error err;
    load(NULL, &err, CX_ECONFIG);
    char want[256];
    snprintf(want, sizeof want, "%s/config.toml: line 3, column ", home);
    assert_non_null(strstr(err.msg, want));

    write_file("config.toml", "# comment\nmodel = 5\n");
    load(NULL, &err, CX_ECONFIG);
    snprintf(want, sizeof want, "%s/config.toml: line 2, column 1: key 'model' must be a string",
             home);
    assert_string_equal(err.msg, want);

    write_file("config.toml",
               "model_provider = \"p\"\n[other]\nbase_url = 1\n[model_providers.p]\nname = \"n\"\n"
               "  base_url = 7\n");
    load(NULL, &err, CX_ECONFIG);
    snprintf(want, sizeof want,
             "%s/config.toml: line 6, column 3: key 'model_providers.p.base_url' must be a string",
             home);
    assert_string_equal(err.msg, want);

    write_file("config.toml", "sandbox_mode = \"yolo\"\n");
    load(NULL, &err, CX_ECONFIG);
    assert_non_null(strstr(err.msg, "sandbox_mode 'yolo' is not one of"));
}

static void relative_instructions_file_is_under_home(void **state)
{
    (void)state;
    write_file("config.toml", "model_instructions_file = \"prompts/mine.md\"\n");
    cx_error err;
    cx_config *c = load(NULL, &err, 0);
    char want[256];
    snprintf(want, sizeof want, "%s/prompts/mine.md", home);
    assert_string_equal(c->model_instructions_file, want);
    cx_config_free(c);
}

static void dotenv_sets_and_skips_codex_vars(void **state)
{
    (void)state;
    setenv("CX_DOTENV_B", "old", 1);
    unsetenv("CODEX_FROM_DOTENV");
    write_file(".env",
               "# comment\nCX_DOTENV_A=plain\nexport CX_DOTENV_B = \"quoted value\"\n"
               "CX_DOTENV_C='single # not a comment'\nCODEX_FROM_DOTENV=no\ncodex_lower=no\n"
               "CX_DOTENV_D=value # trailing comment\nnot a pair\n");
    cx_error err;
    assert_int_equal(cx_dotenv_load(home, &err), 0);
    assert_string_equal(getenv("CX_DOTENV_A"), "plain");
    assert_string_equal(getenv("CX_DOTENV_B"), "quoted value");
    assert_string_equal(getenv("CX_DOTENV_C"), "single # not a comment");
    assert_string_equal(getenv("CX_DOTENV_D"), "value");
    assert_null(getenv("CODEX_FROM_DOTENV"));
    assert_null(getenv("codex_lower"));
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none", home);
    assert_int_equal(cx_dotenv_load(missing, &err), 0);
}

static void home_resolution(void **state)
{
    (void)state;
    char *h = cx_config_home("/explicit");
    assert_string_equal(h, "/explicit");
    free(h);
    setenv("CODEX_HOME", "/from-env", 1);
    h = cx_config_home(NULL);
    assert_string_equal(h, "/from-env");
    free(h);
    unsetenv("CODEX_HOME");
    setenv("HOME", "/home/someone", 1);
    h = cx_config_home(NULL);
    assert_string_equal(h, "/home/someone/.codex");
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults_without_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(file_profile_and_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(overrides_take_toml_values_and_dotted_keys, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(providers_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_file_line_column_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(relative_instructions_file_is_under_home, setup, teardown),
        cmocka_unit_test_setup_teardown(dotenv_sets_and_skips_codex_vars, setup, teardown),
        cmocka_unit_test(home_resolution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
