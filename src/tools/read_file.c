/* read_file: a file's lines numbered `L<n>: `, either a plain slice
 * (offset/limit) or the block of code around an anchor line found by
 * following indentation, as upstream's read_file handler computes it.
 * Lines are decoded lossily and cut to MAX_LINE_LENGTH bytes. */
#include "tools/file_tools.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE_LENGTH 500
#define TAB_WIDTH 4
#define DEFAULT_LIMIT 2000

static const char *const MODES[] = {"slice", "indentation", NULL};
enum { MODE_SLICE, MODE_INDENTATION };

static const char *const COMMENT_PREFIXES[] = {"#", "//", "--", NULL};

/* Strips the line end read_until(b'\n') leaves: "\n", then one "\r". */
static size_t strip_eol(const char *s, size_t len)
{
    if (len && s[len - 1] == '\n') {
        len--;
        if (len && s[len - 1] == '\r') len--;
    }
    return len;
}

static int read_error(cx_tool_output *out, int err)
{
    char eb[256];
    return cx__ft_answer(out, false, "failed to read file: %s",
                         cx__ft_os_error(err, eb, sizeof eb));
}

static void put_numbered(cx_buf *b, size_t number, const char *text, size_t len)
{
    if (b->len) cx__buf_putc(b, '\n');
    cx__buf_printf(b, "L%zu: ", number);
    cx__ft_put_text(b, text, len);
}

/* ---- slice mode ----------------------------------------------------------------------------- */

/* Streams the file: lines before offset are skipped, reading stops once
 * limit lines are collected. */
static int read_slice(const char *path, size_t offset, size_t limit, cx_tool_output *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return read_error(out, errno);
    cx_buf text = CX_BUF_INIT, line = CX_BUF_INIT;
    char *buf = NULL;
    size_t cap = 0, seen = 0, collected = 0;
    ssize_t got;
    int err = 0;
    while (collected < limit) {
        errno = 0;
        got = getline(&buf, &cap, f);
        if (got < 0) {
            if (ferror(f)) err = errno ? errno : EIO;
            break;
        }
        seen++;
        if (seen < offset) continue;
        cx__buf_reset(&line);
        cx__ft_lossy_prefix(buf, strip_eol(buf, (size_t)got), MAX_LINE_LENGTH, &line);
        put_numbered(&text, seen, cx__buf_str(&line), line.len);
        collected++;
    }
    free(buf);
    fclose(f);
    cx__buf_free(&line);
    int rc;
    if (cx__buf_failed(&text))
        rc = CX_ENOMEM;
    else if (err)
        rc = read_error(out, err);
    else if (seen < offset)
        rc = cx__ft_answer(out, false, "offset exceeds file length");
    else
        rc = cx__ft_answer(out, true, "%s", cx__buf_str(&text));
    cx__buf_free(&text);
    return rc;
}

/* ---- indentation mode ----------------------------------------------------------------------- */

typedef struct line_rec {
    char *raw; /* lossy UTF-8 without the line end */
    size_t raw_len;
    size_t display_len; /* the shown prefix of raw (at most MAX_LINE_LENGTH bytes) */
    size_t indent;      /* leading spaces, a tab counting TAB_WIDTH */
    bool blank;         /* only Unicode white space */
    bool comment;       /* starts, after white space, with a comment prefix */
} line_rec;

static void recs_free(line_rec *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(v[k].raw);
    free(v);
}

static int make_rec(const char *bytes, size_t len, line_rec *r)
{
    cx_buf raw = CX_BUF_INIT, shown = CX_BUF_INIT;
    cx__ft_lossy_prefix(bytes, len, (size_t)-1, &raw);
    cx__ft_lossy_prefix(bytes, len, MAX_LINE_LENGTH, &shown);
    cx__buf_puts(&raw, "");
    bool failed = cx__buf_failed(&raw) || cx__buf_failed(&shown);
    r->display_len = shown.len;
    cx__buf_free(&shown);
    if (failed) {
        cx__buf_free(&raw);
        return CX_ENOMEM;
    }
    r->raw_len = raw.len;
    r->raw = cx__buf_steal(&raw);
    r->indent = 0;
    for (size_t k = 0; k < r->raw_len && (r->raw[k] == ' ' || r->raw[k] == '\t'); k++)
        r->indent += r->raw[k] == '\t' ? TAB_WIDTH : 1;
    size_t lead = cx__ft_space_prefix(r->raw, r->raw_len);
    r->blank = lead == r->raw_len;
    r->comment = false;
    for (int k = 0; COMMENT_PREFIXES[k] && !r->comment; k++)
        r->comment = !strncmp(r->raw + lead, COMMENT_PREFIXES[k], strlen(COMMENT_PREFIXES[k]));
    return 0;
}

/* Reads every line. Returns 0, CX_ENOMEM, or 1 with *err set. */
static int read_all(const char *path, line_rec **out, size_t *count, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return 1;
    }
    line_rec *v = NULL;
    size_t n = 0, cap = 0, bcap = 0;
    char *buf = NULL;
    ssize_t got;
    int rc = 0;
    for (;;) {
        errno = 0;
        got = getline(&buf, &bcap, f);
        if (got < 0) {
            if (ferror(f)) {
                *err = errno ? errno : EIO;
                rc = 1;
            }
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            line_rec *p = realloc(v, ncap * sizeof *p);
            if (!p) {
                rc = CX_ENOMEM;
                break;
            }
            v = p;
            cap = ncap;
        }
        if ((rc = make_rec(buf, strip_eol(buf, (size_t)got), &v[n]))) break;
        n++;
    }
    free(buf);
    fclose(f);
    if (rc) {
        recs_free(v, n);
        return rc;
    }
    *out = v;
    *count = n;
    return 0;
}

typedef struct block_opts {
    size_t anchor_line, max_levels, guard_limit;
    bool include_siblings, include_header;
} block_opts;

/* Upstream's expansion: starting at the anchor, take one line above and one
 * below per round while their (effective) indentation is at least
 * min_indent. A line exactly at min_indent is a boundary: without siblings,
 * only the first such line on each side is kept (above the anchor, comment
 * lines also pass when headers are wanted). Blank lines borrow the indent of
 * the closest non-blank line above them, and blank edges are trimmed. */
static int expand_block(const line_rec *v, size_t n, size_t limit, const block_opts *o,
                        cx_buf *text)
{
    size_t *eff = malloc(n * sizeof *eff);
    if (!eff) return CX_ENOMEM;
    size_t prev = 0;
    for (size_t k = 0; k < n; k++) {
        if (!v[k].blank) prev = v[k].indent;
        eff[k] = prev;
    }
    size_t anchor = o->anchor_line - 1;
    size_t reach = o->max_levels * TAB_WIDTH;
    size_t min_indent = o->max_levels == 0 ? 0 : eff[anchor] > reach ? eff[anchor] - reach : 0;
    size_t final_limit = limit < o->guard_limit ? limit : o->guard_limit;
    if (final_limit > n) final_limit = n;

    size_t lo = anchor, hi = anchor; /* the block is v[lo..=hi] */
    if (final_limit == 1) {
        put_numbered(text, anchor + 1, v[anchor].raw, v[anchor].display_len);
        free(eff);
        return 0;
    }
    bool up_open = anchor > 0, down_open = anchor + 1 < n;
    size_t up = anchor, down = anchor + 1; /* next candidates: v[up - 1], v[down] */
    int up_boundaries = 0, down_boundaries = 0;
    while (hi - lo + 1 < final_limit) {
        int progressed = 0;
        if (up_open) {
            size_t k = up - 1;
            if (eff[k] >= min_indent) {
                lo = k;
                up = k;
                progressed++;
                if (eff[k] == min_indent && !o->include_siblings) {
                    bool header = o->include_header && v[k].comment;
                    if (header || up_boundaries == 0) {
                        up_boundaries++;
                    } else {
                        lo = k + 1; /* a sibling's line: give it back and stop climbing */
                        progressed--;
                        up_open = false;
                    }
                }
                if (up_open && up == 0) up_open = false;
                if (hi - lo + 1 >= final_limit) break;
            } else {
                up_open = false;
            }
        }
        if (down_open) {
            size_t k = down;
            if (eff[k] >= min_indent) {
                hi = k;
                down = k + 1;
                progressed++;
                if (eff[k] == min_indent && !o->include_siblings) {
                    if (down_boundaries > 0) {
                        hi = k - 1;
                        progressed--;
                        down_open = false;
                    }
                    down_boundaries++;
                }
                if (down >= n) down_open = false;
            } else {
                down_open = false;
            }
        }
        if (progressed == 0) break;
    }
    free(eff);
    while (lo <= hi && v[lo].blank) {
        if (lo == hi) return 0; /* nothing but blank lines */
        lo++;
    }
    while (hi > lo && v[hi].blank)
        hi--;
    for (size_t k = lo; k <= hi; k++)
        put_numbered(text, k + 1, v[k].raw, v[k].display_len);
    return 0;
}

static int read_block(const char *path, size_t offset, size_t limit, const cx__ft_struct *ind,
                      cx_tool_output *out)
{
    const cx__ft_field *f = ind->fields;
    block_opts o = {
        .anchor_line = f[0].set ? f[0].num : offset,
        .max_levels = f[1].num,
        .include_siblings = f[2].flag,
        .include_header = f[3].flag,
        .guard_limit = f[4].set ? f[4].num : limit,
    };
    if (o.anchor_line == 0)
        return cx__ft_answer(out, false, "anchor_line must be a 1-indexed line number");
    if (o.guard_limit == 0) return cx__ft_answer(out, false, "max_lines must be greater than zero");
    line_rec *v = NULL;
    size_t n = 0;
    int err = 0;
    int rc = read_all(path, &v, &n, &err);
    if (rc == 1) return read_error(out, err);
    if (rc) return rc;
    if (n == 0 || o.anchor_line > n) {
        recs_free(v, n);
        return cx__ft_answer(out, false, "anchor_line exceeds file length");
    }
    cx_buf text = CX_BUF_INIT;
    rc = expand_block(v, n, limit, &o, &text);
    recs_free(v, n);
    if (!rc && cx__buf_failed(&text)) rc = CX_ENOMEM;
    if (!rc) rc = cx__ft_answer(out, true, "%s", cx__buf_str(&text));
    cx__buf_free(&text);
    return rc;
}

/* ---- the tool ------------------------------------------------------------------------------- */

static int read_file_handler(void *state, const cx_tool_call *call, const cx_tool_env *env,
                             cx_tool_output *out)
{
    (void)state;
    (void)env;
    /* upstream's ReadFileArgs and IndentationArgs, in declaration order, with their defaults */
    cx__ft_field ind_fields[] = {
        {.name = "anchor_line", .type = CX__FT_USIZE, .option = true},
        {.name = "max_levels", .type = CX__FT_USIZE, .num = 0},
        {.name = "include_siblings", .type = CX__FT_BOOL, .flag = false},
        {.name = "include_header", .type = CX__FT_BOOL, .flag = true},
        {.name = "max_lines", .type = CX__FT_USIZE, .option = true},
    };
    cx__ft_struct ind = {"IndentationArgs", ind_fields, sizeof ind_fields / sizeof *ind_fields};
    cx__ft_field fields[] = {
        {.name = "file_path", .type = CX__FT_STRING, .required = true},
        {.name = "offset", .type = CX__FT_USIZE, .num = 1},
        {.name = "limit", .type = CX__FT_USIZE, .num = DEFAULT_LIMIT},
        {.name = "mode", .type = CX__FT_ENUM, .variants = MODES, .variant = MODE_SLICE},
        {.name = "indentation", .type = CX__FT_STRUCT, .option = true, .nested = &ind},
    };
    cx__ft_struct args = {"ReadFileArgs", fields, sizeof fields / sizeof *fields};
    const char *in = call->input ? call->input : "";
    char *msg = NULL;
    int rc = cx__ft_decode(in, strlen(in), &args, &msg);
    if (rc == 1) {
        rc = cx__ft_answer(out, false, "%s", msg);
        free(msg);
    } else if (rc == 0) {
        const char *path = fields[0].str;
        size_t offset = fields[1].num, limit = fields[2].num;
        if (offset == 0)
            rc = cx__ft_answer(out, false, "offset must be a 1-indexed line number");
        else if (limit == 0)
            rc = cx__ft_answer(out, false, "limit must be greater than zero");
        else if (path[0] != '/')
            rc = cx__ft_answer(out, false, "file_path must be an absolute path");
        else if (fields[3].variant == MODE_INDENTATION)
            rc = read_block(path, offset, limit, &ind, out);
        else
            rc = read_slice(path, offset, limit, out);
    }
    cx__ft_clear(&args);
    return rc;
}

/* Names, types and the required list are upstream's; the wording is ours. */
static const char READ_FILE_SPEC[] =
    "{\"type\":\"function\",\"name\":\"read_file\","
    "\"description\":\"Show lines of a local text file, each prefixed with `L<number>: `. The "
    "default `slice` mode returns up to `limit` lines starting at line `offset`; `indentation` "
    "mode returns the code block that encloses an anchor line, widened by indentation levels.\","
    "\"strict\":false,\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"file_path\":{\"type\":\"string\",\"description\":\"The file to read, as an absolute "
    "path.\"},"
    "\"indentation\":{\"type\":\"object\",\"properties\":{"
    "\"anchor_line\":{\"type\":\"number\",\"description\":\"The line the block is built around "
    "(`offset` when left out).\"},"
    "\"include_header\":{\"type\":\"boolean\",\"description\":\"Keep comment lines that sit just "
    "above the block.\"},"
    "\"include_siblings\":{\"type\":\"boolean\",\"description\":\"Also return neighbouring blocks "
    "at the anchor's indentation.\"},"
    "\"max_levels\":{\"type\":\"number\",\"description\":\"How many enclosing indentation levels "
    "to climb (0 means no limit).\"},"
    "\"max_lines\":{\"type\":\"number\",\"description\":\"Upper bound on the lines returned in "
    "indentation mode.\"}},\"additionalProperties\":false},"
    "\"limit\":{\"type\":\"number\",\"description\":\"Most lines to return.\"},"
    "\"mode\":{\"type\":\"string\",\"description\":\"`slice` (the default) for a plain range, or "
    "`indentation` for the block around an anchor line.\"},"
    "\"offset\":{\"type\":\"number\",\"description\":\"First line to return, counting from 1.\"}},"
    "\"required\":[\"file_path\"],\"additionalProperties\":false}}";

int cx__read_file_tool_register(cx_tool_registry *reg)
{
    return cx__ft_register(reg, "read_file", READ_FILE_SPEC, read_file_handler);
}
