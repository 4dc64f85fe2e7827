/* Context assembly: base instructions, developer message, AGENTS.md,
 * skills and <environment_context>. */
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

#include "base/json.h"
#include "ccodex/config.h"
#include "ccodex/error.h"
#include "context/context.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    /* create parent folders */
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *at(const char *rel)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/cx-ctx-XXXXXX");
    if (!mkdtemp(root)) return -1;
    mkdir(at("home"), 0755);
    mkdir(at("repo"), 0755);
    mkdir(at("repo/.git"), 0755);
    put("repo/a/b/.keep", "");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void config_for(cx_config *cfg, const char *root_json)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->codex_home = at("home");
    cfg->sandbox_mode = "read-only";
    cfg->approval_policy = "never";
    cfg->root = NULL;
    if (root_json)
        assert_int_equal(cx__json_parse(root_json, strlen(root_json), &cfg->root, NULL), 0);
}

/* All input_text texts of a message item, joined by "\n----\n". */
static char *texts(json_object *msg)
{
    cx_buf b = CX_BUF_INIT;
    cx__buf_puts(&b, "");
    json_object *content = cx__json_get(msg, "content");
    for (size_t i = 0; i < json_object_array_length(content); i++) {
        if (i) cx__buf_puts(&b, "\n----\n");
        cx__buf_puts(&b, cx__json_get_str(json_object_array_get_idx(content, i), "text"));
    }
    return cx__buf_steal(&b);
}

static void base_instructions_precedence(void **state)
{
    (void)state;
    cx_config cfg;
    config_for(&cfg, NULL);
    cx_error err;
    cx_context_cache *c = cx__context_cache_new(&cfg, at("repo"));
    char *s = cx__context_base_instructions(c, "gpt-5.1-codex", NULL, &err);
    assert_non_null(s);
    assert_true(strlen(s) > 200); /* our default text */
    free(s);
    put("home/mine.md", "FROM FILE");
    cfg.model_instructions_file = at("home/mine.md");
    s = cx__context_base_instructions(c, "gpt-5.1-codex", NULL, &err);
    assert_string_equal(s, "FROM FILE");
    free(s);
    cfg.base_instructions = "INLINE";
    s = cx__context_base_instructions(c, "gpt-5.1-codex", NULL, &err);
    assert_string_equal(s, "INLINE");
    free(s);
    s = cx__context_base_instructions(c, "gpt-5.1-codex", "OVERRIDE", &err);
    assert_string_equal(s, "OVERRIDE");
    free(s);
    cfg.base_instructions = NULL;
    cfg.model_instructions_file = at("home/missing.md");
    assert_null(cx__context_base_instructions(c, "gpt-5.1-codex", NULL, &err));
    assert_non_null(strstr(err.msg, "missing.md"));
    cx__context_cache_free(c);
}

static void agents_md_from_home_and_repository_root_down(void **state)
{
    (void)state;
    put("home/AGENTS.md", "global rule");
    put("repo/AGENTS.md", "root rule");
    put("repo/a/AGENTS.md", "shadowed rule");
    put("repo/a/AGENTS.override.md", "override rule");
    put("repo/a/b/AGENTS.md", "   \n"); /* blank files are skipped */
    cx_config cfg;
    config_for(&cfg, NULL);
    cx_context_cache *c = cx__context_cache_new(&cfg, at("repo/a/b"));
    cx_context_request_opts o = {NULL, "/usr/bin/zsh"};
    json_object *m = cx__context_user_message(c, &o);
    assert_string_equal(cx__json_get_str(m, "role"), "user");
    char *t = texts(m);
    char want[1024];
    snprintf(
        want, sizeof want,
        "# AGENTS.md instructions for %s\n\n<INSTRUCTIONS>\nglobal rule\n\n--- project-doc ---\n\n"
        "root rule\n\noverride rule\n</INSTRUCTIONS>\n----\n<environment_context>\n  "
        "<cwd>%s</cwd>\n"
        "  <shell>zsh</shell>\n  <current_date>",
        at("repo/a/b"), at("repo/a/b"));
    if (strncmp(t, want, strlen(want)) != 0) fail_msg("got:\n%s", t);
    assert_null(strstr(t, "shadowed"));
    assert_non_null(strstr(t, "</current_date>\n  <timezone>"));
    assert_true(
        strlen(t) > strlen("</environment_context>") &&
        !strcmp(t + strlen(t) - strlen("</environment_context>"), "</environment_context>"));
    free(t);
    json_object_put(m);
    cx__context_cache_free(c);
}

static void outside_a_repository_only_cwd_counts(void **state)
{
    (void)state;
    put("plain/AGENTS.md", "plain rule");
    put("plain/sub/AGENTS.md", "sub rule");
    cx_config cfg;
    config_for(&cfg, NULL);
    cx_context_cache *c = cx__context_cache_new(&cfg, at("plain/sub"));
    json_object *m = cx__context_user_message(c, NULL);
    char *t = texts(m);
    assert_non_null(strstr(t, "sub rule"));
    assert_null(strstr(t, "plain rule"));
    free(t);
    json_object_put(m);
    cx__context_cache_free(c);
}

static void project_docs_are_capped(void **state)
{
    (void)state;
    char *big = malloc(40 * 1024 + 1);
    memset(big, 'x', 40 * 1024);
    big[40 * 1024] = '\0';
    put("repo/AGENTS.md", big);
    free(big);
    cx_config cfg;
    config_for(&cfg, NULL);
    cx_context_cache *c = cx__context_cache_new(&cfg, at("repo"));
    json_object *m = cx__context_user_message(c, NULL);
    const char *doc =
        cx__json_get_str(json_object_array_get_idx(cx__json_get(m, "content"), 0), "text");
    const char *start = strstr(doc, "<INSTRUCTIONS>\n") + strlen("<INSTRUCTIONS>\n");
    assert_int_equal(strstr(doc, "\n</INSTRUCTIONS>") - start, 32 * 1024);
    json_object_put(m);
    cx__context_cache_free(c);
    json_object_put(cfg.root);

    config_for(&cfg, "{\"project_doc_max_bytes\":10}");
    c = cx__context_cache_new(&cfg, at("repo"));
    m = cx__context_user_message(c, NULL);
    doc = cx__json_get_str(json_object_array_get_idx(cx__json_get(m, "content"), 0), "text");
    assert_non_null(strstr(doc, "<INSTRUCTIONS>\nxxxxxxxxxx\n</INSTRUCTIONS>"));
    json_object_put(m);
    cx__context_cache_free(c);
    json_object_put(cfg.root);

    config_for(&cfg, "{\"project_doc_max_bytes\":0}");
    c = cx__context_cache_new(&cfg, at("repo"));
    m = cx__context_user_message(c, NULL);
    /* only the environment context is left */
    assert_int_equal(json_object_array_length(cx__json_get(m, "content")), 1);
    json_object_put(m);
    cx__context_cache_free(c);
    json_object_put(cfg.root);
}

static void developer_message_permissions_mode_and_skills(void **state)
{
    (void)state;
    put("home/skills/pdf/SKILL.md",
        "---\nname: pdf-tools\ndescription: Work with PDF files\n---\nBody\n");
    put("home/skills/group/deep/SKILL.md", "---\nname: \"alpha\"\ndescription: 'First one'\n---\n");
    put("home/skills/broken/SKILL.md", "no front matter here\n");
    cx_config cfg;
    config_for(&cfg, NULL);
    cx_context_cache *c = cx__context_cache_new(&cfg, at("repo"));
    cx_context_request_opts o = {"plan", "/bin/bash"};
    json_object *m = cx__context_developer_message(c, &o);
    assert_string_equal(cx__json_get_str(m, "role"), "developer");
    char *t = texts(m);
    assert_non_null(strstr(t, "<permissions instructions>"));
    assert_non_null(strstr(t, "`read-only`"));
    assert_non_null(strstr(t, "`never`"));
    assert_non_null(strstr(t, "<collaboration_mode>"));
    const char *a = strstr(t, "- alpha: First one (file: ");
    const char *p = strstr(t, "- pdf-tools: Work with PDF files (file: ");
    assert_non_null(a);
    assert_non_null(p);
    assert_true(a < p); /* sorted by name */
    assert_non_null(strstr(t, at("home/skills/pdf/SKILL.md")));
    assert_null(strstr(t, "broken"));
    free(t);
    json_object_put(m);
    cx__context_cache_free(c);

    cfg.sandbox_mode = "danger-full-access";
    cfg.approval_policy = "on-request";
    c = cx__context_cache_new(&cfg, at("repo"));
    m = cx__context_developer_message(c, NULL);
    t = texts(m);
    assert_non_null(strstr(t, "`danger-full-access`"));
    assert_non_null(strstr(t, "`on-request`"));
    assert_null(strstr(t, "<collaboration_mode>")); /* exec sends no mode block */
    free(t);
    json_object_put(m);
    cx__context_cache_free(c);
}

static void turn_metadata_names_the_repository(void **state)
{
    (void)state;
    put("repo/.git/HEAD", "ref: refs/heads/main\n");
    put("repo/.git/refs/heads/main", "0123456789abcdef0123456789abcdef01234567\n");
    cx_config cfg;
    config_for(&cfg, NULL);
    cx_context_cache *c = cx__context_cache_new(&cfg, at("repo/a"));
    char *meta = cx__context_turn_metadata(c, "turn-1");
    json_object *o = NULL;
    assert_int_equal(cx__json_parse(meta, strlen(meta), &o, NULL), 0);
    assert_string_equal(cx__json_get_str(o, "turn_id"), "turn-1");
    assert_non_null(strstr(meta, "0123456789abcdef0123456789abcdef01234567"));
    json_object_put(o);
    free(meta);
    cx__context_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(base_instructions_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(agents_md_from_home_and_repository_root_down, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(outside_a_repository_only_cwd_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(project_docs_are_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(developer_message_permissions_mode_and_skills, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(turn_metadata_names_the_repository, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
