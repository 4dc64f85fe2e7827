/* Shared pieces of the ccodex command line: parsed options and the commands.
 * Only the CLI prints; the library reports through errors and events. */
#ifndef CX_CLI_CLI_H
#define CX_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "ccodex/agent.h"
#include "ccodex/config.h"

typedef struct cx_cli_opts {
    const char *model;
    const char *profile;
    const char *sandbox;
    const char *approval;
    const char *cwd;
    const char *codex_home;
    const char *vllm_endpoint;
    bool use_chat_completion; /* reach the provider through the in-process responses server */
    const char *put;          /* --put [PATH]@HOST:PORT */
    const char *call;         /* --call SECRET-CALLID@HOST:PORT */
    const char **overrides;
    size_t n_overrides;
    const char **add_dirs; /* --add-dir: extra writable roots for workspace-write */
    size_t n_add_dirs;
    bool json;
    bool search;        /* --search: live web search for the interactive client */
    const char *prompt; /* NULL: read stdin / interactive */
    /* sessions (resume_cmd.c) */
    bool ephemeral;        /* --ephemeral: no rollout file */
    bool resume;           /* `exec resume ...` / `ccodex resume ...` */
    bool resume_last;      /* --last */
    bool resume_all;       /* --all: --last looks beyond the current directory */
    const char *resume_id; /* a session id or thread name */
} cx_cli_opts;

/* The rollout file `resume` continues (new string), or NULL when none
 * matches (upstream then starts a new session silently). */
char *cx_cli_resume_path(const cx_cli_opts *o, const cx_config *cfg, bool interactive);
/* Handles a positional argument after `resume`: the id unless --last was
 * given or the id is set, then the prompt. Returns false when there are too many. */
bool cx_cli_resume_positional(cx_cli_opts *o, const char *arg);

struct cx_rserver;
/* Loads config per opts; prints the error itself and returns NULL on failure.
 * When the session needs the responses server (--vllm-endpoint,
 * --use-chat-completion, or a provider with wire_api = "chat"), starts it
 * in-process on a free loopback port, points the provider at it and sets
 * *bridge (free it with cx_rserver_free after the agent); else *bridge = NULL. */
cx_config *cx_cli_load_config(const cx_cli_opts *o, bool interactive, struct cx_rserver **bridge);

/* `ccodex exec` and the one-shot form: one turn, exit code 0 on success. */
int cx_cli_exec(const cx_cli_opts *o, bool exec_mode);
/* The interactive REPL. */
int cx_cli_repl(const cx_cli_opts *o);
/* The provider's model ids, comma separated (new string), or NULL with err. */
char *cx_cli_list_models(const cx_config *cfg, cx_error *err);
/* `ccodex serve ...` (argv[0] is "serve"). */
int cx_cli_serve(int argc, char **argv);
/* `ccodex sandbox linux ...` (argv[0] is "sandbox"). */
int cx_cli_sandbox(int argc, char **argv);
/* `ccodex doctor ...` (argv[0] is "doctor"). */
int cx_cli_doctor(int argc, char **argv);
/* `ccodex --put [PATH]@HOST:PORT`: uploads a CODEX_HOME bundle, checks it with
 * a real call and prints the `ccodex --call ...` line. Returns the exit code. */
int cx_cli_portable_put(const char *spec);
/* `ccodex --call TOKEN`: downloads and unpacks the bundle into a fresh
 * directory; on success returns 0 and sets *home to that directory (malloc'd),
 * which the caller uses as CODEX_HOME. Prints its own error otherwise. */
int cx_cli_portable_call(const char *token, char **home);
/* `ccodex storage-server ...` (argv[0] is "storage-server"): the portable-mode
 * storage server. */
int cx_cli_storage_server(int argc, char **argv);

/* --version --verbose: build, library versions, CA certificates, Node.js. */
int cx_cli_version_verbose(FILE *f);

/* Maps agent events to upstream's `exec --json` JSONL lines. */
typedef struct cx_jsonl cx_jsonl;
cx_jsonl *cx_jsonl_new(FILE *out);
void cx_jsonl_free(cx_jsonl *j);
void cx_jsonl_thread_started(cx_jsonl *j, const char *thread_id);
void cx_jsonl_event(cx_jsonl *j, const cx_event *ev);
void cx_jsonl_error(cx_jsonl *j, const char *message);

#endif
