/* Upstream's human-readable exec lines for collab_tool_call items. */
#ifndef CX_CLI_EXEC_COLLAB_H
#define CX_CLI_EXEC_COLLAB_H

#include "base/buf.h"

#include <json-c/json.h>
#include <stdbool.h>

/* Appends the lines for item d (a collab_tool_call exec item with its
 * call_id) when it starts or when it completes. */
void cx_exec_collab_lines(cx_buf *b, const json_object *d, bool started);

#endif
