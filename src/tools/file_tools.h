/* read_file, list_dir and grep_files: upstream's read-only file tools
 * (declared when config.toml's experimental_supported_tools names them).
 * Function tools, parallel-safe; errors go back to the model as text. */
#ifndef CX_TOOLS_FILE_TOOLS_H
#define CX_TOOLS_FILE_TOOLS_H

#include "ccodex/tools.h"

/* read_file: `L<n>: ` numbered lines of an absolute path, as a slice
 * (offset/limit) or as the indentation block around an anchor line. */
int cx_read_file_tool_register(cx_tool_registry *reg);
/* list_dir: entries of an absolute directory, breadth first to `depth`,
 * sorted by relative path, with / @ ? markers for dirs, symlinks, others. */
int cx_list_dir_tool_register(cx_tool_registry *reg);
/* grep_files: files whose contents match a regex, newest first, via `rg`. */
int cx_grep_files_tool_register(cx_tool_registry *reg);

#endif
