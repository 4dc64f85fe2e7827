/* Steering (cx_agent_steer): text the user sends while a turn runs waits
 * under the agent's lock and joins the conversation before the next request. */
#include "core/agent_priv.h"

#include "base/json.h"
#include "ccodex/items.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int cx_agent_steer(cx_agent *a, const char *text)
{
    char *copy = strdup(text);
    if (!copy) return CX_ENOMEM;
    pthread_mutex_lock(&a->lock);
    char **p = realloc(a->steer, (a->n_steer + 2) * sizeof *p);
    if (!p) {
        pthread_mutex_unlock(&a->lock);
        free(copy);
        return CX_ENOMEM;
    }
    a->steer = p;
    a->steer[a->n_steer++] = copy;
    a->steer[a->n_steer] = NULL;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

bool cx_agent_has_pending_steer(cx_agent *a)
{
    pthread_mutex_lock(&a->lock);
    bool any = a->n_steer > 0;
    pthread_mutex_unlock(&a->lock);
    return any;
}

char **cx_agent_take_steer(cx_agent *a)
{
    pthread_mutex_lock(&a->lock);
    char **out = a->steer;
    a->steer = NULL;
    a->n_steer = 0;
    pthread_mutex_unlock(&a->lock);
    return out;
}

/* Moves pending steer texts into history as user messages. */
void cx__agent_insert_steer(cx_agent *a)
{
    char **texts = cx_agent_take_steer(a);
    if (!texts) return;
    for (char **t = texts; *t; t++) {
        json_object *item = cx_item_user_text("user", *t);
        json_object_array_add(a->history, item);
        cx__rec_item(a, item);
        json_object *d = json_object_new_object();
        cx__json_set_str(d, "text", *t);
        cx__agent_emit(a, CX_EV_STEER_INSERTED, d);
        free(*t);
    }
    free(texts);
}
