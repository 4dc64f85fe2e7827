/* The tool registry: an ordered array of tool definitions. Order matters:
 * it is the order of the request's `tools` array. */
#include "ccodex/tools.h"

#include "ccodex/error.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cx_tool_registry {
    cx_tool_def *defs;
    size_t len;
    size_t cap;
};

int cx_tool_output_setf(cx_tool_output *out, bool success, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return CX_ENOMEM;
    free(out->text);
    out->text = s;
    out->success = success;
    return 0;
}

void cx_tool_output_clear(cx_tool_output *out)
{
    free(out->text);
    json_object_put(out->content);
    memset(out, 0, sizeof *out);
}

bool cx_tool_cancelled(const cx_tool_env *env)
{
    const atomic_bool *flag = env ? env->cancel : NULL;
    return flag && atomic_load(flag);
}

cx_tool_registry *cx_tools_new(void)
{
    return calloc(1, sizeof(cx_tool_registry));
}

static void def_release(cx_tool_def *d)
{
    json_object_put(d->spec);
    if (d->state_free) d->state_free(d->state);
    free((char *)d->name);
}

void cx_tools_free(cx_tool_registry *reg)
{
    if (!reg) return;
    for (size_t i = 0; i < reg->len; i++)
        def_release(&reg->defs[i]);
    free(reg->defs);
    free(reg);
}

static cx_tool_def *find_mut(const cx_tool_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->len; i++)
        if (strcmp(reg->defs[i].name, name) == 0) return &reg->defs[i];
    return NULL;
}

int cx_tools_add(cx_tool_registry *reg, const cx_tool_def *def)
{
    cx_tool_def copy = *def;
    copy.name = def->name ? strdup(def->name) : NULL;
    if (!copy.name) {
        copy.name = NULL;
        def_release(&copy);
        return def->name ? CX_ENOMEM : CX_EINVAL;
    }
    cx_tool_def *old = find_mut(reg, def->name);
    if (old) {
        def_release(old);
        *old = copy;
        return 0;
    }
    if (reg->len == reg->cap) {
        size_t cap = reg->cap ? reg->cap * 2 : 16;
        cx_tool_def *p = realloc(reg->defs, cap * sizeof *p);
        if (!p) {
            def_release(&copy);
            return CX_ENOMEM;
        }
        reg->defs = p;
        reg->cap = cap;
    }
    reg->defs[reg->len++] = copy;
    return 0;
}

int cx_tools_insert(cx_tool_registry *reg, size_t pos, const cx_tool_def *def)
{
    if (!def->name || cx_tools_find(reg, def->name)) return cx_tools_add(reg, def);
    int rc = cx_tools_add(reg, def);
    if (rc != 0 || pos >= reg->len - 1) return rc;
    cx_tool_def last = reg->defs[reg->len - 1];
    memmove(&reg->defs[pos + 1], &reg->defs[pos], (reg->len - 1 - pos) * sizeof last);
    reg->defs[pos] = last;
    return 0;
}

int cx_tools_remove(cx_tool_registry *reg, const char *name)
{
    cx_tool_def *d = find_mut(reg, name);
    if (!d) return CX_ENOTFOUND;
    size_t i = (size_t)(d - reg->defs);
    def_release(d);
    memmove(&reg->defs[i], &reg->defs[i + 1], (reg->len - i - 1) * sizeof *d);
    reg->len--;
    return 0;
}

const cx_tool_def *cx_tools_find(const cx_tool_registry *reg, const char *name)
{
    return find_mut(reg, name);
}

size_t cx_tools_count(const cx_tool_registry *reg)
{
    return reg->len;
}

const cx_tool_def *cx_tools_at(const cx_tool_registry *reg, size_t i)
{
    return i < reg->len ? &reg->defs[i] : NULL;
}

json_object *cx_tools_specs(const cx_tool_registry *reg)
{
    json_object *arr = json_object_new_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < reg->len; i++)
        if (reg->defs[i].spec) json_object_array_add(arr, json_object_get(reg->defs[i].spec));
    return arr;
}
