/* libedit, loaded when the interactive client starts (CCODEX_LAZY_LIBS builds of the ccodex
 * program only; see curl_dl.c for why). libedit and what it pulls in (libtinfo, libbsd, libmd)
 * are ~0.4 MB resident in every command that maps them, and only the REPL uses them.
 *
 * el_set, el_get and history take arguments that depend on the operation: the loader forwards
 * the operations ccodex uses, each with its own argument types, and refuses any other (-1), so
 * that a new use fails visibly until it is added here. Process-wide state written once under
 * pthread_once, as in curl_dl.c. */
/* first: with histedit.h (stdio.h) ahead of it clang-tidy misreads every va_list below */
#include <stdarg.h>

#include <dlfcn.h>
#include <histedit.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#ifndef CX_EDIT_SONAME /* CMake passes the SONAME of the library built against */
#define CX_EDIT_SONAME "libedit.so.2"
#endif

typedef int (*hist_fn)(History *, HistEvent *, int, ...);
typedef char *(*prompt_fn)(EditLine *);
typedef unsigned char (*edit_fn)(EditLine *, int);

typedef struct edit_table {
    EditLine *(*el_init)(const char *, FILE *, FILE *, FILE *);
    void (*el_end)(EditLine *);
    const char *(*el_gets)(EditLine *, int *);
    int (*el_source)(EditLine *, const char *);
    int (*el_set)(EditLine *, int, ...);
    int (*el_get)(EditLine *, int, ...);
    History *(*history_init)(void);
    void (*history_end)(History *);
    hist_fn history;
    bool ok;
} edit_table;

static edit_table g_edit;
static pthread_once_t g_edit_once = PTHREAD_ONCE_INIT;

static void edit_load(void)
{
    void *h = dlopen(CX_EDIT_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        fprintf(stderr, "ccodex: cannot load %s (needed by the interactive client): %s\n",
                CX_EDIT_SONAME, why ? why : "unknown error");
        return;
    }
    edit_table t = {0};
    const char *missing = NULL;
#define CX_LOAD(name)                                                                              \
    *(void **)&t.name = dlsym(h, #name);                                                           \
    if (!t.name && !missing) missing = #name;
    CX_LOAD(el_init)
    CX_LOAD(el_end)
    CX_LOAD(el_gets)
    CX_LOAD(el_source)
    CX_LOAD(el_set)
    CX_LOAD(el_get)
    CX_LOAD(history_init)
    CX_LOAD(history_end)
    CX_LOAD(history)
#undef CX_LOAD
    if (missing) {
        fprintf(stderr, "ccodex: %s has no %s\n", CX_EDIT_SONAME, missing);
        dlclose(h);
        return;
    }
    t.ok = true;
    g_edit = t;
}

static bool edit_ready(void)
{
    pthread_once(&g_edit_once, edit_load);
    return g_edit.ok;
}

EditLine *el_init(const char *prog, FILE *in, FILE *out, FILE *err)
{
    return edit_ready() ? g_edit.el_init(prog, in, out, err) : NULL;
}

/* the rest only ever get an EditLine or History that a loaded libedit made */
void el_end(EditLine *e)
{
    if (e) g_edit.el_end(e);
}

const char *el_gets(EditLine *e, int *count)
{
    if (!e) return NULL;
    return g_edit.el_gets(e, count);
}

int el_source(EditLine *e, const char *file)
{
    return e ? g_edit.el_source(e, file) : -1;
}

History *history_init(void)
{
    return edit_ready() ? g_edit.history_init() : NULL;
}

void history_end(History *h)
{
    if (h) g_edit.history_end(h);
}

int history(History *h, HistEvent *ev, int op, ...)
{
    if (!h) return -1;
    va_list ap;
    va_start(ap, op);
    int rc = -1;
    if (op == H_ENTER) {
        const char *line = va_arg(ap, const char *);
        rc = g_edit.history(h, ev, op, line);
    } else if (op == H_SETSIZE) {
        int n = va_arg(ap, int);
        rc = g_edit.history(h, ev, op, n);
    }
    va_end(ap);
    return rc;
}

static int set_bind(EditLine *e, va_list ap)
{
    /* EL_BIND takes a NULL-terminated list of strings; ccodex binds one key to one function */
    const char *key = va_arg(ap, const char *);
    const char *fn = key ? va_arg(ap, const char *) : NULL;
    if (key && fn && va_arg(ap, const char *) == NULL)
        return g_edit.el_set(e, EL_BIND, key, fn, (const char *)NULL);
    return -1;
}

int el_set(EditLine *e, int op, ...)
{
    if (!e) return -1;
    va_list ap;
    va_start(ap, op);
    int rc = -1;
    switch (op) {
    case EL_HIST: {
        hist_fn fn = va_arg(ap, hist_fn);
        History *h = va_arg(ap, History *);
        /* libedit calls the function back with every operation it needs: give it its own */
        rc = g_edit.el_set(e, op, fn == history ? g_edit.history : fn, h);
        break;
    }
    case EL_CLIENTDATA:
    case EL_EDITOR: /* a void * and a string: va_arg may read a char * as a void * */
        rc = g_edit.el_set(e, op, va_arg(ap, void *));
        break;
    case EL_PROMPT: {
        prompt_fn fn = va_arg(ap, prompt_fn);
        rc = g_edit.el_set(e, op, fn);
        break;
    }
    case EL_ADDFN: {
        const char *name = va_arg(ap, const char *);
        const char *help = va_arg(ap, const char *);
        rc = g_edit.el_set(e, op, name, help, va_arg(ap, edit_fn));
        break;
    }
    case EL_BIND:
        rc = set_bind(e, ap);
        break;
    default:
        break;
    }
    va_end(ap);
    return rc;
}

int el_get(EditLine *e, int op, ...)
{
    if (!e) return -1;
    va_list ap;
    va_start(ap, op);
    int rc = -1;
    if (op == EL_CLIENTDATA) rc = g_edit.el_get(e, op, va_arg(ap, void **));
    va_end(ap);
    return rc;
}
