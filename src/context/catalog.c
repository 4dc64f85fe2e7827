/* The model catalogue: facts per known model that compaction, the rollout's
 * turn_context and the REPL's /model list need. The numbers are public facts
 * about the models (context windows) and upstream Codex 0.115.0's observed
 * choices (auto-compaction at 90% of the window, 95% of it reported as
 * usable, tool-output truncation policy); see docs/SESSIONS.md. */
#include "context/context.h"

#include <string.h>

static const cx_model_facts catalog[] = {
    /* slug, window, reasoning, default effort, truncation mode, limit */
    {"gpt-5.3-codex", 272000, true, "medium", "tokens", 10000},
    {"gpt-5.2-codex", 272000, true, "medium", "tokens", 10000},
    {"gpt-5.1-codex-max", 272000, true, "medium", "tokens", 10000},
    {"gpt-5.1-codex-mini", 272000, true, "medium", "tokens", 10000},
    {"gpt-5.1-codex", 272000, true, "medium", "tokens", 10000},
    {"gpt-5-codex-mini", 272000, true, "medium", "tokens", 10000},
    {"gpt-5-codex", 272000, true, "medium", "tokens", 10000},
    {"gpt-5.2", 272000, true, "medium", "bytes", 10000},
    {"gpt-5.1", 272000, true, "medium", "bytes", 10000},
    {"gpt-5", 272000, true, "medium", "bytes", 10000},
    {"o3", 200000, true, "medium", "bytes", 10000},
    {"o4-mini", 200000, true, "medium", "bytes", 10000},
    {"gpt-oss-120b", 96000, true, "medium", "bytes", 10000},
    {"gpt-oss-20b", 96000, true, "medium", "bytes", 10000},
    {"gpt-4.1", 1047576, false, NULL, "bytes", 10000},
    {"gpt-4o", 128000, false, NULL, "bytes", 10000},
};

/* Unknown models: a window small enough that compaction starts before most
 * servers refuse, no reasoning parameters, byte truncation. */
static const cx_model_facts unknown = {NULL, 128000, false, NULL, "bytes", 10000};

const cx_model_facts *cx__context_model_facts(const char *model)
{
    if (!model) return &unknown;
    for (size_t i = 0; i < sizeof catalog / sizeof *catalog; i++)
        if (!strcmp(model, catalog[i].slug)) return &catalog[i];
    return &unknown;
}

size_t cx__context_model_catalog(const cx_model_facts **out)
{
    *out = catalog;
    return sizeof catalog / sizeof *catalog;
}

int64_t cx__model_facts_usable_window(const cx_model_facts *f)
{
    return f->context_window * 95 / 100;
}

int64_t cx__model_facts_auto_compact_limit(const cx_model_facts *f)
{
    return f->context_window * 9 / 10;
}
