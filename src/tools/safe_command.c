/* Known-safe commands: see safe_command.h. */
#include "tools/safe_command.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 64
#define MAX_SCRIPT 4096

static bool in(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(w, *list)) return true;
    return false;
}

/* sed -n's one argument: N p or M,N p */
static bool sed_print_arg(const char *a)
{
    if (!isdigit((unsigned char)*a)) return false;
    while (isdigit((unsigned char)*a))
        a++;
    if (*a == ',') {
        a++;
        if (!isdigit((unsigned char)*a)) return false;
        while (isdigit((unsigned char)*a))
            a++;
    }
    return !strcmp(a, "p");
}

static bool any_arg(const char *const *argv, size_t argc, const char *const *bad, bool prefix)
{
    for (size_t i = 1; i < argc; i++)
        for (const char *const *b = bad; *b; b++)
            if (prefix ? !strncmp(argv[i], *b, strlen(*b)) : !strcmp(argv[i], *b)) return true;
    return false;
}

bool cx__safe_argv(const char *const *argv, size_t argc)
{
    static const char *const plain[] = {"cat",  "cd",    "cut",    "echo", "expr",  "false", "grep",
                                        "head", "id",    "ls",     "nl",   "paste", "pwd",   "rev",
                                        "seq",  "stat",  "tail",   "tr",   "true",  "uname", "uniq",
                                        "wc",   "which", "whoami", NULL};
    if (!argc) return false;
    const char *cmd = argv[0];
    if (in(cmd, plain)) return true;
    if (!strcmp(cmd, "find")) {
        /* options that run, delete or write files */
        static const char *const bad[] = {"-exec", "-execdir", "-ok",      "-okdir",   "-delete",
                                          "-fls",  "-fprint",  "-fprint0", "-fprintf", NULL};
        return !any_arg(argv, argc, bad, false);
    }
    if (!strcmp(cmd, "rg")) {
        /* options that run other programs */
        static const char *const bad_eq[] = {"--pre", "--hostname-bin", NULL};
        static const char *const bad[] = {"--search-zip", "-z", NULL};
        return !any_arg(argv, argc, bad_eq, true) && !any_arg(argv, argc, bad, false);
    }
    if (!strcmp(cmd, "base64")) {
        static const char *const bad[] = {"-o", "--output", NULL};
        return !any_arg(argv, argc, bad, true);
    }
    if (!strcmp(cmd, "git")) {
        static const char *const sub[] = {"status", "log", "diff", "show", NULL};
        return argc >= 2 && in(argv[1], sub);
    }
    if (!strcmp(cmd, "sed"))
        return (argc == 3 || argc == 4) && !strcmp(argv[1], "-n") && sed_print_arg(argv[2]);
    return false;
}

/* Characters a plain word may hold outside quotes: no globs, variables,
 * redirections, substitutions or escapes. */
static bool word_char(char c)
{
    return isalnum((unsigned char)c) || strchr("_@%+=:,./-", c);
}

bool cx__safe_script(const char *script)
{
    size_t len = strlen(script);
    if (!len || len > MAX_SCRIPT) return false;
    char *buf = malloc(len + 1); /* the words, NUL-separated */
    if (!buf) return false;
    const char *argv[MAX_WORDS];
    size_t argc = 0, o = 0, commands = 0;
    bool ok = true;
    const char *p = script;
    while (ok) {
        while (*p == ' ' || *p == '\t')
            p++;
        bool end = !*p;
        bool sep = !end && (!strncmp(p, "&&", 2) || !strncmp(p, "||", 2) || *p == ';' || *p == '|');
        if (end || sep) {
            /* a command ends: empty ones (`; ;`, leading `|`) are not plain */
            if (!argc || !cx__safe_argv(argv, argc)) ok = false;
            commands++;
            argc = 0;
            if (end) break;
            p += (p[0] == p[1] && (p[0] == '&' || p[0] == '|')) ? 2 : 1;
            continue;
        }
        if (argc == MAX_WORDS) {
            ok = false;
            break;
        }
        argv[argc++] = buf + o;
        bool any = false;
        while (*p && *p != ' ' && *p != '\t' && *p != ';' && *p != '|' && *p != '&') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                while (*p && *p != q) {
                    /* inside double quotes only text without $, ` or \ is plain */
                    if (q == '"' && strchr("$`\\", *p)) ok = false;
                    buf[o++] = *p++;
                }
                if (!*p)
                    ok = false;
                else
                    p++;
            } else if (word_char(*p)) {
                buf[o++] = *p++;
            } else {
                ok = false;
                break;
            }
            any = true;
        }
        if (!any && *p == '&') ok = false; /* a lone & (background) */
        buf[o++] = '\0';
    }
    free(buf);
    return ok && commands > 0;
}
