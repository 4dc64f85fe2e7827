/* The smallest embedder of libccodex: loads the Codex configuration (CODEX_HOME),
 * runs one turn for the prompt given as argument, prints each finished item's type
 * as it comes and then the agent's last message. It uses only the public headers
 * and links only libccodex (core and the layers below it).
 *
 *   cc embed.c $(pkg-config --cflags --libs ccodex) -o embed && ./embed "say hi" */
#include <stdio.h>
#include <string.h>

#include "ccodex/agent.h"
#include "ccodex/config.h"
#include "ccodex/error.h"
#include "ccodex/events.h"

typedef struct counts {
    int events;
    int items;
} counts;

/* Called on the thread running the turn, one event at a time (events.h): no lock. */
static void on_event(void *user, const cx_event *ev)
{
    counts *c = user;
    c->events++;
    if (ev->kind == CX_EV_ITEM_COMPLETED) {
        json_object *type = NULL;
        json_object_object_get_ex(ev->data, "type", &type);
        printf("item: %s\n", type ? json_object_get_string(type) : "?");
        c->items++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PROMPT\n", argv[0]);
        return 2;
    }
    cx_error err = {0};
    cx_config *cfg = NULL;
    cx_config_options copts = {0};
    if (cx_config_load(&copts, &cfg, &err) != 0) {
        fprintf(stderr, "config: %s\n", err.msg);
        return 1;
    }
    cx_agent_global_init(cfg);
    counts c = {0};
    cx_agent_options opts = {
        .config = cfg, .mode = CX_MODE_EXEC, .on_event = on_event, .event_user = &c};
    cx_agent *agent = cx_agent_new(&opts, &err);
    if (!agent) {
        fprintf(stderr, "agent: %s\n", err.msg);
        cx_config_free(cfg);
        return 1;
    }
    int rc = cx_agent_run_turn(agent, argv[1], &err);
    if (rc == 0) {
        const char *last = cx_agent_last_message(agent);
        printf("last message: %s\n", last ? last : "");
        printf("events: %d, items: %d\n", c.events, c.items);
    } else {
        fprintf(stderr, "turn failed: %s\n", err.msg);
    }
    cx_agent_free(agent);
    cx_config_free(cfg);
    return rc == 0 ? 0 : 1;
}
