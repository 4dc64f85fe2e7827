/* The heredoc form of apply_patch inside a shell command
 * (`[cd DIR &&] apply_patch <<'EOF' ... EOF`), which exec_command and the
 * shell tools intercept as upstream does. */
#include "tools/patch.h"
#include "tools/patch_internal.h"

#include <stdlib.h>
#include <string.h>

bool cx__patch_from_heredoc(const char *script, char **patch_out, char **dir_out)
{
    *patch_out = NULL;
    *dir_out = NULL;
    const char *s = cx__patch_trim_start(script);
    char *dir = NULL;
    if (!strncmp(s, "cd ", 3)) {
        const char *d = cx__patch_trim_start(s + 3);
        const char *amp = strstr(d, "&&");
        if (!amp) return false;
        size_t n = (size_t)(amp - d);
        while (n && (d[n - 1] == ' ' || d[n - 1] == '\t'))
            n--;
        if (n >= 2 && (d[0] == '\'' || d[0] == '"') && d[n - 1] == d[0]) {
            d++;
            n -= 2;
        }
        dir = strndup(d, n);
        s = cx__patch_trim_start(amp + 2);
    }
    const char *cmd = !strncmp(s, "apply_patch", 11)  ? s + 11
                      : !strncmp(s, "applypatch", 10) ? s + 10
                                                      : NULL;
    if (!cmd) {
        free(dir);
        return false;
    }
    cmd = cx__patch_trim_start(cmd);
    if (strncmp(cmd, "<<", 2)) {
        free(dir);
        return false;
    }
    cmd = cx__patch_trim_start(cmd + 2);
    char delim[64];
    size_t k = 0;
    char q = (*cmd == '\'' || *cmd == '"') ? *cmd++ : 0;
    while (*cmd && *cmd != '\n' && *cmd != q && *cmd != ' ' && k < sizeof delim - 1)
        delim[k++] = *cmd++;
    delim[k] = '\0';
    const char *body = strchr(cmd, '\n');
    if (!k || !body) {
        free(dir);
        return false;
    }
    body++;
    /* find the closing delimiter line */
    const char *p = body;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == k && !strncmp(p, delim, k)) {
            const char *rest = cx__patch_trim_start(p + n);
            if (*rest && *rest != '\n') break; /* more commands follow: not the simple form */
            *patch_out = strndup(body, (size_t)(p - body));
            *dir_out = dir;
            return true;
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(dir);
    return false;
}
