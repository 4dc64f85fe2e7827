/* Prompt texts written for ccodex (internal to context). */
#ifndef CX_CONTEXT_PROMPTS_H
#define CX_CONTEXT_PROMPTS_H

extern const char *const cx__prompt_base;
extern const char *const cx__prompt_collab_default;
extern const char *const cx__prompt_collab_plan;

#endif
