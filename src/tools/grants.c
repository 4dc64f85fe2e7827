/* Sandbox grants of a session: see grants.h. */
#include "tools/grants.h"

#include "ccodex/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct grant {
    char *root; /* NULL: the network grant */
    bool session;
} grant;

struct cx__grants {
    pthread_mutex_t mu;
    grant *list;
    size_t n;
};

cx__grants *cx__grants_new(void)
{
    cx__grants *g = calloc(1, sizeof *g);
    if (g) pthread_mutex_init(&g->mu, NULL);
    return g;
}

void cx__grants_free(cx__grants *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n; i++)
        free(g->list[i].root);
    free(g->list);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

/* Caller holds g->mu. Takes root (may be NULL for the network). */
static int push(cx__grants *g, char *root, bool session)
{
    grant *grown = realloc(g->list, (g->n + 1) * sizeof *grown);
    if (!grown) {
        free(root);
        return CX_ENOMEM;
    }
    g->list = grown;
    g->list[g->n++] = (grant){root, session};
    return 0;
}

int cx__grants_add(cx__grants *g, const json_object *permissions, bool session)
{
    json_object *fs = cx__json_get(permissions, "file_system");
    json_object *write = fs ? cx__json_get(fs, "write") : NULL;
    json_object *net = cx__json_get(permissions, "network");
    bool network = false;
    if (net) cx__json_get_bool(net, "enabled", &network);
    size_t n =
        write && json_object_is_type(write, json_type_array) ? json_object_array_length(write) : 0;
    int rc = 0;
    pthread_mutex_lock(&g->mu);
    for (size_t i = 0; !rc && i < n; i++) {
        const char *path = json_object_get_string(json_object_array_get_idx(write, i));
        if (!path || path[0] != '/') continue;
        char *copy = strdup(path);
        rc = copy ? push(g, copy, session) : CX_ENOMEM;
    }
    if (!rc && network) rc = push(g, NULL, session);
    pthread_mutex_unlock(&g->mu);
    return rc;
}

void cx__grants_turn_ended(cx__grants *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    size_t kept = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (g->list[i].session)
            g->list[kept++] = g->list[i];
        else
            free(g->list[i].root);
    }
    g->n = kept;
    pthread_mutex_unlock(&g->mu);
}

void cx__grant_set_clear(cx__grant_set *set)
{
    for (size_t i = 0; i < set->n_roots; i++)
        free(set->roots[i]);
    free(set->roots);
    memset(set, 0, sizeof *set);
}

int cx__grants_get(cx__grants *g, cx__grant_set *set)
{
    memset(set, 0, sizeof *set);
    if (!g) return 0;
    int rc = 0;
    pthread_mutex_lock(&g->mu);
    set->roots = g->n ? calloc(g->n, sizeof *set->roots) : NULL;
    if (g->n && !set->roots) rc = CX_ENOMEM;
    for (size_t i = 0; !rc && i < g->n; i++) {
        if (!g->list[i].root) {
            set->network = true;
        } else if ((set->roots[set->n_roots] = strdup(g->list[i].root)) != NULL) {
            set->n_roots++;
        } else {
            rc = CX_ENOMEM;
        }
    }
    pthread_mutex_unlock(&g->mu);
    if (rc) cx__grant_set_clear(set);
    return rc;
}
