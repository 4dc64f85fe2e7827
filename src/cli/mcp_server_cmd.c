/* `ccodex mcp-server`: ccodex served over stdio MCP (newline-delimited
 * JSON-RPC), as upstream's `codex mcp-server` exposes itself: two tools,
 * `codex` (a new thread running one turn) and `codex-reply` (another turn on a
 * thread), the turn's progress streamed as `codex/event` notifications, the
 * final message as the result. Each call runs on its own thread; calls for one
 * thread wait for each other. */
#include "cli/mcp_cli.h"

#include "ccodex/agent.h"
#include "model/request.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/toml_edit.h"
#include "mcp/jsonrpc.h"
#include "mcp/transport.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROTOCOL_VERSION "2025-06-18"
#define SERVER_VERSION "0.115.0"

typedef struct session {
    char id[64];
    cx_config *cfg;
    cx_mcp *mcp;
    cx_agent *agent;
    pthread_mutex_t turn;    /* one turn at a time */
    json_object *request_id; /* the tools/call being served (under turn) */
    json_object *progress;   /* its progressToken, or NULL */
    char turn_id[64];        /* of the running turn (events without one carry it) */
    int64_t progress_n;
    struct server *srv;
} session;

typedef struct call_job {
    struct server *srv;
    json_object *msg; /* the tools/call request */
    pthread_t th;
    struct call_job *next;
} call_job;

typedef struct server {
    pthread_mutex_t out_lock; /* stdout */
    pthread_mutex_t lock;     /* sessions, jobs */
    session **sessions;
    size_t n_sessions;
    call_job *jobs;
    char *client_name;
    char *client_version;
} server;

static void send_msg(server *srv, json_object *msg)
{
    cx_buf b = CX_BUF_INIT;
    cx__json_dump(msg, &b);
    cx__buf_putc(&b, '\n');
    pthread_mutex_lock(&srv->out_lock);
    fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&srv->out_lock);
    cx__buf_free(&b);
    json_object_put(msg);
}

static json_object *rpc(json_object *id)
{
    json_object *m = json_object_new_object();
    cx__json_set_str(m, "jsonrpc", "2.0");
    if (id) cx__json_set(m, "id", json_object_get(id));
    return m;
}

static void reply(server *srv, json_object *id, json_object *result)
{
    json_object *m = rpc(id);
    cx__json_set(m, "result", result);
    send_msg(srv, m);
}

static void reply_error(server *srv, json_object *id, int code, const char *message)
{
    json_object *m = rpc(id);
    json_object *e = json_object_new_object();
    cx__json_set(e, "code", json_object_new_int(code));
    cx__json_set_str(e, "message", message);
    cx__json_set(m, "error", e);
    send_msg(srv, m);
}

/* A tool result: the text, plus the thread in structuredContent on success. */
static void tool_result(server *srv, json_object *id, const char *text, const char *thread,
                        bool is_error)
{
    json_object *r = json_object_new_object();
    json_object *content = json_object_new_array();
    json_object *block = json_object_new_object();
    cx__json_set_str(block, "type", "text");
    cx__json_set_str(block, "text", text);
    json_object_array_add(content, block);
    cx__json_set(r, "content", content);
    if (is_error) {
        cx__json_set(r, "isError", json_object_new_boolean(true));
    } else {
        json_object *sc = json_object_new_object();
        cx__json_set_str(sc, "threadId", thread);
        cx__json_set_str(sc, "content", text);
        cx__json_set(r, "structuredContent", sc);
    }
    reply(srv, id, r);
}

/* ---- events -------------------------------------------------------------------------------- */

static void notify_event(session *s, const char *turn_id, json_object *msg)
{
    json_object *params = json_object_new_object();
    json_object *meta = json_object_new_object();
    cx__json_set(meta, "requestId", json_object_get(s->request_id));
    cx__json_set_str(meta, "threadId", s->id);
    cx__json_set(params, "_meta", meta);
    cx__json_set_str(params, "id", turn_id ? turn_id : "");
    cx__json_set(params, "msg", msg);
    json_object *m = rpc(NULL);
    cx__json_set_str(m, "method", "codex/event");
    cx__json_set(m, "params", params);
    send_msg(s->srv, m);
    if (s->progress) {
        /* the MCP progress notification, for clients that asked for one */
        json_object *p = json_object_new_object();
        cx__json_set(p, "progressToken", json_object_get(s->progress));
        cx__json_set(p, "progress", json_object_new_int64(++s->progress_n));
        cx__json_set_str(p, "message", cx__json_get_str(msg, "type"));
        json_object *pm = rpc(NULL);
        cx__json_set_str(pm, "method", "notifications/progress");
        cx__json_set(pm, "params", p);
        send_msg(s->srv, pm);
    }
}

static json_object *typed(const char *type)
{
    json_object *o = json_object_new_object();
    cx__json_set_str(o, "type", type);
    return o;
}

static json_object *usage_json(const json_object *u)
{
    static const char *const keys[] = {"input_tokens", "cached_input_tokens", "output_tokens",
                                       "reasoning_output_tokens", "total_tokens"};
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        int64_t v = 0;
        cx__json_get_int(u, keys[i], &v);
        cx__json_set(o, keys[i], json_object_new_int64(v));
    }
    return o;
}

static void on_agent_event(void *user, const cx_event *ev)
{
    session *s = user;
    const char *turn = cx__json_get_str(ev->data, "turn_id");
    if (ev->kind == CX_EV_TURN_STARTED) snprintf(s->turn_id, sizeof s->turn_id, "%s", turn ?: "");
    if (!turn) turn = s->turn_id;
    json_object *msg = NULL;
    switch (ev->kind) {
    case CX_EV_TURN_STARTED:
        msg = typed("task_started");
        cx__json_set_str(msg, "turn_id", turn);
        cx__json_set_str(msg, "collaboration_mode_kind", "default");
        break;
    case CX_EV_TEXT_DELTA:
        msg = typed("agent_message_delta");
        cx__json_set_str(msg, "delta", cx__json_get_str(ev->data, "delta"));
        break;
    case CX_EV_ITEM_STARTED:
    case CX_EV_ITEM_COMPLETED: {
        const char *type = cx__json_get_str(ev->data, "type");
        if (type && !strcmp(type, "agent_message") && ev->kind == CX_EV_ITEM_COMPLETED) {
            msg = typed("agent_message");
            cx__json_set_str(msg, "message", cx__json_get_str(ev->data, "text"));
            cx__json_set(msg, "phase", NULL);
        } else {
            msg = typed(ev->kind == CX_EV_ITEM_STARTED ? "item_started" : "item_completed");
            cx__json_set_str(msg, "thread_id", s->id);
            cx__json_set(msg, "item", cx__json_copy(ev->data));
        }
        break;
    }
    case CX_EV_TURN_COMPLETED: {
        json_object *tc = typed("token_count");
        json_object *info = json_object_new_object();
        cx_usage u = cx_agent_usage(s->agent);
        json_object *total = json_object_new_object();
        cx__json_set(total, "input_tokens", json_object_new_int64(u.input_tokens));
        cx__json_set(total, "cached_input_tokens", json_object_new_int64(u.cached_input_tokens));
        cx__json_set(total, "output_tokens", json_object_new_int64(u.output_tokens));
        cx__json_set(total, "reasoning_output_tokens",
                     json_object_new_int64(u.reasoning_output_tokens));
        cx__json_set(total, "total_tokens", json_object_new_int64(u.total_tokens));
        cx__json_set(info, "total_token_usage", total);
        cx__json_set(info, "last_token_usage", usage_json(cx__json_get(ev->data, "usage")));
        cx__json_set(tc, "info", info);
        notify_event(s, turn, tc);
        msg = typed("task_complete");
        cx__json_set_str(msg, "turn_id", turn);
        cx__json_set_str(msg, "last_agent_message", cx__json_get_str(ev->data, "last_message"));
        break;
    }
    case CX_EV_TURN_FAILED:
    case CX_EV_WARNING:
        msg = typed(ev->kind == CX_EV_WARNING ? "warning" : "error");
        cx__json_set_str(msg, "message", cx__json_get_str(ev->data, "message"));
        break;
    default:
        return;
    }
    notify_event(s, turn, msg);
}

/* ---- sessions ------------------------------------------------------------------------------ */

static void session_free(session *s)
{
    if (!s) return;
    cx_agent_free(s->agent);
    cx__mcp_free(s->mcp);
    cx_config_free(s->cfg);
    pthread_mutex_destroy(&s->turn);
    free(s);
}

static session *find_session(server *srv, const char *id)
{
    session *found = NULL;
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->n_sessions && !found; i++)
        if (!strcmp(srv->sessions[i]->id, id)) found = srv->sessions[i];
    pthread_mutex_unlock(&srv->lock);
    return found;
}

/* A JSON value as TOML text for a -c override. */
static void toml_value(const json_object *v, cx_buf *b)
{
    if (json_object_is_type(v, json_type_string)) {
        cx__toml_put_string(b, json_object_get_string((json_object *)v));
    } else if (json_object_is_type(v, json_type_array)) {
        cx__buf_putc(b, '[');
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            if (i) cx__buf_puts(b, ", ");
            toml_value(json_object_array_get_idx(v, i), b);
        }
        cx__buf_putc(b, ']');
    } else if (json_object_is_type(v, json_type_object)) {
        cx__buf_putc(b, '{');
        bool first = true;
        json_object_object_foreach((json_object *)v, k, e)
        {
            cx__buf_puts(b, first ? " " : ", ");
            first = false;
            cx__toml_put_key(b, k);
            cx__buf_puts(b, " = ");
            toml_value(e, b);
        }
        cx__buf_puts(b, first ? "}" : " }");
    } else {
        cx__json_dump(v, b);
    }
}

static bool one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed)) return true;
    return false;
}

/* Checks an enum-valued string argument; on a bad value sets *msg as
 * upstream's serde text. */
static bool check_variant(const json_object *args, const char *key, const char *const *allowed,
                          const char *expected, char **msg)
{
    const char *v = cx__json_get_str(args, key);
    if (!v || one_of(v, allowed)) return true;
    if (asprintf(msg,
                 "Failed to parse configuration for Codex tool: unknown variant `%s`, expected "
                 "one of %s",
                 v, expected) < 0)
        *msg = NULL;
    return false;
}

/* Creates a thread from the `codex` tool's arguments. NULL with *msg set on
 * bad arguments or configuration. */
static session *new_session(server *srv, const json_object *args, char **msg)
{
    static const char *const sandboxes[] = {"read-only", "workspace-write", "danger-full-access",
                                            NULL};
    static const char *const approvals[] = {"untrusted", "on-failure", "on-request", "never", NULL};
    if (!check_variant(args, "sandbox", sandboxes,
                       "`read-only`, `workspace-write`, `danger-full-access`", msg) ||
        !check_variant(args, "approval-policy", approvals,
                       "`untrusted`, `on-failure`, `on-request`, `never`", msg))
        return NULL;
    json_object *config = cx__json_get(args, "config");
    size_t n_over = config && json_object_is_type(config, json_type_object)
                        ? (size_t)json_object_object_length(config)
                        : 0;
    char **over = calloc(n_over + 2, sizeof *over);
    size_t k = 0;
    if (n_over) {
        json_object_object_foreach(config, key, val)
        {
            cx_buf b = CX_BUF_INIT;
            cx__buf_printf(&b, "%s=", key);
            toml_value(val, &b);
            over[k++] = cx__buf_steal(&b);
        }
    }
    const char *dev = cx__json_get_str(args, "developer-instructions");
    if (dev) {
        cx_buf b = CX_BUF_INIT;
        cx__buf_puts(&b, "developer_instructions=");
        cx__toml_put_string(&b, dev);
        over[k++] = cx__buf_steal(&b);
    }
    const char *cwd = cx__json_get_str(args, "cwd");
    char *home = cx_config_home(NULL);
    cx_config_options co = {.codex_home = home,
                            .profile = cx__json_get_str(args, "profile"),
                            .overrides = (const char *const *)over,
                            .n_overrides = k,
                            .model = cx__json_get_str(args, "model"),
                            .sandbox_mode = cx__json_get_str(args, "sandbox"),
                            .approval_policy = cx__json_get_str(args, "approval-policy"),
                            .interactive = true};
    cx_error err;
    cx_error_clear(&err);
    session *s = calloc(1, sizeof *s);
    int rc = s ? cx_config_load(&co, &s->cfg, &err) : CX_ENOMEM;
    free(home);
    for (size_t i = 0; i < k; i++)
        free(over[i]);
    free(over);
    if (rc != 0) {
        if (asprintf(msg, "Failed to load Codex configuration: %s", err.msg) < 0) *msg = NULL;
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->turn, NULL);
    s->srv = srv;
    if (cx_cli_mcp_start(s->cfg, cwd, CX_CLI_MCP_QUIET, &s->mcp) != 0) {
        if (asprintf(msg, "required MCP servers failed to initialize") < 0) *msg = NULL;
        session_free(s);
        return NULL;
    }
    cx_agent_options ao = {.config = s->cfg,
                           .cwd = cwd,
                           .mode = CX_MODE_EXEC,
                           .on_event = on_agent_event,
                           .event_user = s,
                           .base_instructions = cx__json_get_str(args, "base-instructions"),
                           .originator = "codex_cli_rs",
                           .client_name = srv->client_name ? srv->client_name : "codex-mcp"};
    s->agent = cx_agent_new(&ao, &err);
    if (s->agent && cx__mcp_register(s->mcp, cx_agent_tools(s->agent)) != 0) {
        cx_agent_free(s->agent);
        s->agent = NULL;
        cx_error_set(&err, CX_ENOMEM, "cannot register the MCP tools");
    }
    if (!s->agent) {
        if (asprintf(msg, "Failed to start Codex session: %s", err.msg) < 0) *msg = NULL;
        session_free(s);
        return NULL;
    }
    snprintf(s->id, sizeof s->id, "%s", cx_agent_session_id(s->agent));
    pthread_mutex_lock(&srv->lock);
    session **p = realloc(srv->sessions, (srv->n_sessions + 1) * sizeof(session *));
    if (p) {
        srv->sessions = p;
        srv->sessions[srv->n_sessions++] = s;
    }
    pthread_mutex_unlock(&srv->lock);
    if (!p) {
        session_free(s);
        *msg = strdup("out of memory");
        return NULL;
    }
    return s;
}

static void configured_events(session *s)
{
    json_object *m = typed("session_configured");
    cx__json_set_str(m, "session_id", s->id);
    cx__json_set_str(m, "model", cx_agent_model(s->agent));
    cx__json_set_str(m, "model_provider_id", s->cfg->model_provider_id);
    cx__json_set_str(m, "approval_policy", s->cfg->approval_policy);
    json_object *sp = typed(s->cfg->sandbox_mode ? s->cfg->sandbox_mode : "read-only");
    cx__json_set(m, "sandbox_policy", sp);
    cx__json_set(m, "history_log_id", json_object_new_int(0));
    cx__json_set(m, "history_entry_count", json_object_new_int(0));
    notify_event(s, "", m);
    json_object *st = typed("mcp_startup_complete");
    json_object *ready = json_object_new_array(), *failed = json_object_new_array();
    char *summary = s->mcp ? cx__mcp_summary(s->mcp) : NULL;
    /* "ready: a, b; failed: c" back into lists */
    for (char *part = summary ? strtok(summary, ";") : NULL; part; part = strtok(NULL, ";")) {
        while (*part == ' ')
            part++;
        json_object *into = !strncmp(part, "ready: ", 7) ? ready : failed;
        char *names = strchr(part, ':');
        for (char *n = names ? strtok_r(names + 1, ",", &names) : NULL; n;
             n = strtok_r(NULL, ",", &names)) {
            while (*n == ' ')
                n++;
            if (*n && strcmp(n, "servers")) json_object_array_add(into, json_object_new_string(n));
        }
    }
    free(summary);
    cx__json_set(st, "ready", ready);
    cx__json_set(st, "failed", failed);
    cx__json_set(st, "cancelled", json_object_new_array());
    notify_event(s, "", st);
}

/* Runs a turn for the call id (and its progress token); a new thread first
 * reports how it was configured. */
static void run_turn(session *s, json_object *id, const json_object *meta, const char *prompt,
                     bool announce)
{
    pthread_mutex_lock(&s->turn);
    s->request_id = json_object_get(id);
    s->progress = json_object_get(cx__json_get(meta, "progressToken"));
    s->progress_n = 0;
    if (announce) configured_events(s);
    cx_error err;
    cx_error_clear(&err);
    int rc = cx_agent_run_turn(s->agent, prompt, &err);
    const char *last = cx_agent_last_message(s->agent);
    if (rc == 0)
        tool_result(s->srv, id, last ? last : "", s->id, false);
    else
        tool_result(s->srv, id, err.msg[0] ? err.msg : cx_error_name(rc), s->id, true);
    json_object_put(s->request_id);
    json_object_put(s->progress);
    s->request_id = s->progress = NULL;
    pthread_mutex_unlock(&s->turn);
}

static void *call_main(void *arg)
{
    call_job *job = arg;
    server *srv = job->srv;
    json_object *id = cx__json_get(job->msg, "id");
    json_object *params = cx__json_get(job->msg, "params");
    const char *name = cx__json_get_str(params, "name");
    json_object *args = cx__json_get(params, "arguments");
    json_object *meta = cx__json_get(params, "_meta");
    const char *prompt = cx__json_get_str(args, "prompt");
    char *msg = NULL;
    if (!name || (strcmp(name, "codex") && strcmp(name, "codex-reply"))) {
        if (asprintf(&msg, "Unknown tool '%s'", name ? name : "") < 0) msg = NULL;
        tool_result(srv, id, msg ? msg : "Unknown tool", NULL, true);
    } else if (!prompt) {
        tool_result(srv, id,
                    !strcmp(name, "codex")
                        ? "Failed to parse configuration for Codex tool: missing field `prompt`"
                        : "Failed to parse codex-reply arguments: missing field `prompt`",
                    NULL, true);
    } else if (!strcmp(name, "codex")) {
        session *s = new_session(srv, args, &msg);
        if (!s) {
            tool_result(srv, id, msg ? msg : "cannot start a session", NULL, true);
        } else {
            run_turn(s, id, meta, prompt, true);
        }
    } else {
        const char *tid = cx__json_get_str(args, "threadId");
        if (!tid) tid = cx__json_get_str(args, "conversationId");
        session *s = tid ? find_session(srv, tid) : NULL;
        if (!s) {
            if (asprintf(&msg, "Session not found for thread_id: %s", tid ? tid : "") < 0)
                msg = NULL;
            tool_result(srv, id, msg ? msg : "Session not found", NULL, true);
        } else {
            run_turn(s, id, meta, prompt, false);
        }
    }
    free(msg);
    return NULL;
}

/* ---- requests ------------------------------------------------------------------------------ */

static const char TOOLS_JSON[] =
    "[{\"name\":\"codex\",\"title\":\"Codex\",\"description\":\"Run a ccodex session: one turn "
    "on a new thread, configured like config.toml.\",\"inputSchema\":{\"properties\":{"
    "\"approval-policy\":{\"description\":\"Approval policy for commands the model runs.\","
    "\"type\":\"string\",\"enum\":[\"untrusted\",\"on-failure\",\"on-request\",\"never\"]},"
    "\"base-instructions\":{\"description\":\"Instructions that replace the default ones.\","
    "\"type\":\"string\"},\"compact-prompt\":{\"description\":\"Prompt used when compacting the "
    "conversation.\",\"type\":\"string\"},\"config\":{\"description\":\"config.toml settings "
    "(dotted keys) that override the file.\",\"type\":\"object\",\"additionalProperties\":true},"
    "\"cwd\":{\"description\":\"Working directory of the session.\",\"type\":\"string\"},"
    "\"developer-instructions\":{\"description\":\"Extra developer instructions.\",\"type\":"
    "\"string\"},\"model\":{\"description\":\"Model name override.\",\"type\":\"string\"},"
    "\"profile\":{\"description\":\"config.toml profile to use.\",\"type\":\"string\"},"
    "\"prompt\":{\"description\":\"The user's prompt for the first turn.\",\"type\":\"string\"},"
    "\"sandbox\":{\"description\":\"Sandbox mode.\",\"type\":\"string\",\"enum\":[\"read-only\","
    "\"workspace-write\",\"danger-full-access\"]}},\"required\":[\"prompt\"],\"type\":\"object\"},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"threadId\":{\"type\":\"string\"},"
    "\"content\":{\"type\":\"string\"}},\"required\":[\"threadId\",\"content\"]}},"
    "{\"name\":\"codex-reply\",\"title\":\"Codex Reply\",\"description\":\"Run another turn on "
    "a thread started with the codex tool.\",\"inputSchema\":{\"properties\":{"
    "\"conversationId\":{\"description\":\"Deprecated: use threadId.\",\"type\":\"string\"},"
    "\"prompt\":{\"description\":\"The next user prompt.\",\"type\":\"string\"},\"threadId\":{"
    "\"description\":\"The thread to continue (from the codex tool's result).\",\"type\":"
    "\"string\"}},\"required\":[\"prompt\"],\"type\":\"object\"},\"outputSchema\":{\"type\":"
    "\"object\",\"properties\":{\"threadId\":{\"type\":\"string\"},\"content\":{\"type\":"
    "\"string\"}},\"required\":[\"threadId\",\"content\"]}}]";

static void handle_initialize(server *srv, json_object *id, const json_object *params)
{
    json_object *ci = cx__json_get(params, "clientInfo");
    free(srv->client_name);
    free(srv->client_version);
    srv->client_name = strdup(cx__json_get_str(ci, "name") ?: "unknown");
    srv->client_version = strdup(cx__json_get_str(ci, "version") ?: "");
    char *base = cx__request_user_agent("codex_cli_rs", srv->client_name);
    /* the user agent ends with the MCP client's own name and version */
    char *paren = base ? strrchr(base, '(') : NULL;
    if (paren) *paren = 0;
    cx_buf ua = CX_BUF_INIT;
    cx__buf_printf(&ua, "%s(%s; %s)", base ? base : "codex_cli_rs ", srv->client_name,
                   srv->client_version);
    free(base);
    json_object *r = json_object_new_object();
    const char *asked = cx__json_get_str(params, "protocolVersion");
    cx__json_set_str(r, "protocolVersion", asked ? asked : PROTOCOL_VERSION);
    json_object *caps = json_object_new_object(), *tools = json_object_new_object();
    cx__json_set(tools, "listChanged", json_object_new_boolean(true));
    cx__json_set(caps, "tools", tools);
    cx__json_set(r, "capabilities", caps);
    json_object *si = json_object_new_object();
    cx__json_set_str(si, "name", "codex-mcp-server");
    cx__json_set_str(si, "title", "Codex");
    cx__json_set_str(si, "version", SERVER_VERSION);
    cx__json_set_str(si, "user_agent", cx__buf_str(&ua));
    cx__json_set(r, "serverInfo", si);
    cx__buf_free(&ua);
    reply(srv, id, r);
}

static void start_call(server *srv, json_object *msg)
{
    call_job *job = calloc(1, sizeof *job);
    if (!job) {
        reply_error(srv, cx__json_get(msg, "id"), -32603, "out of memory");
        return;
    }
    job->srv = srv;
    job->msg = json_object_get(msg);
    pthread_mutex_lock(&srv->lock);
    job->next = srv->jobs;
    srv->jobs = job;
    pthread_mutex_unlock(&srv->lock);
    if (pthread_create(&job->th, NULL, call_main, job) != 0) {
        job->th = 0;
        call_main(job);
    }
}

static void on_line(void *user, const char *line, size_t len)
{
    server *srv = user;
    json_object *msg = NULL;
    cx_error err;
    if (cx__json_parse(line, len, &msg, &err) != 0) {
        reply_error(srv, NULL, -32700, "Parse error");
        return;
    }
    int64_t nid;
    bool has_id;
    cx_mcp_msg_kind kind = cx__mcp_msg_classify(msg, &nid, &has_id);
    json_object *id = cx__json_get(msg, "id");
    const char *method = cx__json_get_str(msg, "method");
    if (kind == CX_MCP_MSG_INVALID) {
        reply_error(srv, id, -32600, "Invalid Request");
    } else if (kind != CX_MCP_MSG_REQUEST) {
        /* notifications (initialized, cancelled) and answers need nothing */
    } else if (!strcmp(method, "initialize")) {
        handle_initialize(srv, id, cx__json_get(msg, "params"));
    } else if (!strcmp(method, "ping")) {
        reply(srv, id, json_object_new_object());
    } else if (!strcmp(method, "tools/list")) {
        json_object *tools = NULL;
        cx__json_parse(TOOLS_JSON, sizeof TOOLS_JSON - 1, &tools, &err);
        json_object *r = json_object_new_object();
        cx__json_set(r, "tools", tools);
        reply(srv, id, r);
    } else if (!strcmp(method, "tools/call")) {
        start_call(srv, msg);
    } else {
        /* upstream leaves other methods unanswered; an error keeps clients from waiting */
        reply_error(srv, id, -32601, "Method not found");
    }
    json_object_put(msg);
}

int cx_cli_mcp_server(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: ccodex mcp-server\n\nServes ccodex over MCP on stdin/stdout: the "
                   "`codex` and `codex-reply` tools.\n");
            return 0;
        }
        fprintf(stderr, "error: unexpected argument '%s' found\n", argv[i]);
        return 2;
    }
    char *home = cx_config_home(NULL);
    cx_error err;
    if (home && cx_dotenv_load(home, &err) != 0) fprintf(stderr, "warning: %s\n", err.msg);
    free(home);
    cx_agent_global_init(NULL);
    server srv = {0};
    pthread_mutex_init(&srv.out_lock, NULL);
    pthread_mutex_init(&srv.lock, NULL);
    cx_mcp_lines lines;
    cx__mcp_lines_init(&lines, CX_MCP_MAX_MESSAGE);
    char buf[65536];
    ssize_t n;
    while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (cx__mcp_lines_feed(&lines, buf, (size_t)n, on_line, &srv) != 0) break;
    }
    cx__mcp_lines_free(&lines);
    /* the client is gone: stop running turns, then wait for their threads */
    pthread_mutex_lock(&srv.lock);
    for (size_t i = 0; i < srv.n_sessions; i++)
        cx_agent_interrupt(srv.sessions[i]->agent);
    call_job *jobs = srv.jobs;
    srv.jobs = NULL;
    pthread_mutex_unlock(&srv.lock);
    while (jobs) {
        call_job *next = jobs->next;
        if (jobs->th) pthread_join(jobs->th, NULL);
        json_object_put(jobs->msg);
        free(jobs);
        jobs = next;
    }
    for (size_t i = 0; i < srv.n_sessions; i++)
        session_free(srv.sessions[i]);
    free(srv.sessions);
    free(srv.client_name);
    free(srv.client_version);
    pthread_mutex_destroy(&srv.lock);
    pthread_mutex_destroy(&srv.out_lock);
    return 0;
}
