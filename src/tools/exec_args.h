/* The argument fields the command tools (shell, shell_command, exec_command)
 * share upstream: how to sandbox the command and why. Library-internal. */
#ifndef CX_TOOLS_EXEC_ARGS_H
#define CX_TOOLS_EXEC_ARGS_H

#include "tools/args.h"

/* SandboxPermissions' variants, for a `static const char *const X[]` */
#define CX__SANDBOX_PERMISSION_NAMES                                                               \
    {                                                                                              \
        "use_default", "require_escalated", "with_additional_permissions", NULL                    \
    }

/* sp_option: Option<SandboxPermissions> (shell's) or a defaulted one (the
 * others'); names: CX__SANDBOX_PERMISSION_NAMES; strs: a CX__FT_STRING element;
 * profile: PermissionProfile as a struct whose fields are not checked here. */
#define CX__PERMISSION_FIELDS(sp_option, names, strs, profile)                                     \
    {.name = "sandbox_permissions",                                                                \
     .type = CX__FT_ENUM,                                                                          \
     .option = (sp_option),                                                                        \
     .variants = (names)},                                                                         \
        {.name = "prefix_rule", .type = CX__FT_SEQ, .option = true, .elem = (strs)},               \
        {.name = "additional_permissions",                                                         \
         .type = CX__FT_STRUCT,                                                                    \
         .option = true,                                                                           \
         .nested = (profile)},                                                                     \
    {                                                                                              \
        .name = "justification", .type = CX__FT_STRING, .option = true                             \
    }

#endif
