/* Configuration as Codex reads it: CODEX_HOME, config.toml (+ a profile and
 * -c overrides), the model provider, and the .env beside config.toml.
 * See docs/CONFIG.md for the keys. */
#ifndef CCODEX_CONFIG_H
#define CCODEX_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ccodex/error.h"
#include "ccodex/export.h"

CX_BEGIN_DECLS

typedef struct cx_provider {
    char *id; /* key under [model_providers], e.g. "openai" */
    char *name;
    char *base_url;                 /* without trailing slash, e.g. "https://api.openai.com/v1" */
    char *env_key;                  /* env var holding the API key, or NULL */
    char *api_key;                  /* resolved from env_key at load time, or NULL */
    char *wire_api;                 /* "responses" (the only one ccodex speaks) */
    json_object *query_params;      /* object of string values, or NULL */
    json_object *http_headers;      /* object: header -> value, or NULL */
    json_object *env_http_headers;  /* object: header -> env var name, or NULL */
    int request_max_retries;        /* default 4 */
    int stream_max_retries;         /* default 5 */
    long stream_idle_timeout_ms;    /* default 300000 */
    long request_max_retry_wait_ms; /* longest single retry wait (Retry-After), default 60000 */
    size_t stream_max_event_bytes;  /* cap on one SSE event, default 16 MiB */
    bool requires_auth;             /* the built-in OpenAI provider: no key is an error */
} cx_provider;

typedef struct cx_config {
    char *codex_home; /* absolute */
    char *profile;    /* the active profile name, or NULL */
    char *model;
    char *model_provider_id;
    cx_provider provider;          /* the active provider, resolved */
    char *model_reasoning_effort;  /* NULL: the model's default */
    char *model_reasoning_summary; /* NULL: "auto" where the model reasons */
    char *model_verbosity;         /* NULL: omitted */
    char *personality;
    char *base_instructions;       /* inline text, or NULL */
    char *model_instructions_file; /* absolute path, or NULL */
    char *approval_policy;         /* default "never" in exec, "on-request" interactive */
    char *sandbox_mode;            /* default "read-only" */
    char *service_tier;
    json_object *features; /* object of feature -> bool, or NULL */
    json_object *root;     /* the merged document after profile and overrides */
} cx_config;

typedef struct cx_config_options {
    const char *codex_home;       /* NULL: $CODEX_HOME, else ~/.codex */
    const char *profile;          /* --profile; NULL: the file's `profile` key, if any */
    const char *const *overrides; /* "-c key=value" strings (value in TOML syntax) */
    size_t n_overrides;
    const char *model;           /* -m; wins over everything */
    const char *sandbox_mode;    /* -s */
    const char *approval_policy; /* -a */
    bool interactive;            /* changes the approval default */
} cx_config_options;

/* Loads the configuration. *out is new; free it with cx_config_free. Errors
 * name the file, line, column and key where they can. */
CX_EXTERN int cx_config_load(const cx_config_options *opts, cx_config **out, cx_error *err);
CX_EXTERN void cx_config_free(cx_config *cfg);

/* The CODEX_HOME path: opts value, $CODEX_HOME, else $HOME/.codex. New string. */
CX_EXTERN char *cx_config_home(const char *override);

/* Reads CODEX_HOME/.env and sets each variable in the process environment
 * (replacing a value already there, as upstream does), skipping names that
 * start with "CODEX_" in any case. A missing file is not an error. Changes the process environment:
 * call it from main, before threads start. */
CX_EXTERN int cx_dotenv_load(const char *codex_home, cx_error *err);

CX_END_DECLS

#endif
