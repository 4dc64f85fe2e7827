/* The sandbox's mount namespace: see mounts.h. */
#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct statx and its attributes; musl 1.2.3 has no statx() wrapper */
#include <linux/stat.h>

#ifndef __GLIBC__
/* musl (the static release) has neither the new mount API's wrappers nor struct mount_attr
 * (glibc 2.36 has both): the kernel's definitions and the raw system calls */
#include <linux/mount.h>

static int mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr,
                         size_t size)
{
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

static int open_tree(int dfd, const char *path, unsigned flags)
{
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags)
{
    return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}
#endif

void cx__sandbox_mounts_clear(cx__sandbox_mounts *m)
{
    for (size_t i = 0; m->rw && i < m->n_rw; i++)
        free(m->rw[i]);
    for (size_t i = 0; m->ro && i < m->n_ro; i++)
        free(m->ro[i]);
    free(m->rw);
    free(m->ro);
    memset(m, 0, sizeof *m);
}

static int by_length(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
    return la < lb ? -1 : la > lb;
}

static int copy_list(char *const *src, size_t n, char ***dst, size_t *n_dst)
{
    *dst = n ? calloc(n, sizeof **dst) : NULL;
    if (n && !*dst) return CX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!((*dst)[i] = strdup(src[i]))) return CX_ENOMEM;
        (*n_dst)++;
    }
    return 0;
}

/* True when the kernel allows no user namespace at all (an unprivileged
 * child would fail at unshare; better said here, in words). */
static bool userns_disabled(void)
{
    int fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    return atol(buf) == 0;
}

/* False when / is known not to be a mount point, as inside a plain chroot: the
 * new namespace then cannot make it private (mount(2) answers EINVAL), and
 * nothing laid over it could be kept from propagating back. */
static bool root_is_a_mount(void)
{
#ifdef STATX_ATTR_MOUNT_ROOT
    struct statx st;
    memset(&st, 0, sizeof st);
    if (syscall(SYS_statx, AT_FDCWD, "/", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) != 0)
        return true; /* cannot tell (an old kernel): mount(2) will say */
    if (!(st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) return true;
    return (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
#else
    return true;
#endif
}

int cx__sandbox_mounts_prepare(const cx_sandbox_policy *p, cx__sandbox_mounts *m, cx_error *err)
{
    memset(m, 0, sizeof *m);
    bool root_writable = false;
    for (size_t i = 0; i < p->n_writable; i++)
        if (!strcmp(p->writable[i], "/")) root_writable = true;
    m->read_only_tree = !p->legacy_landlock && !root_writable;
    m->active = m->read_only_tree || p->n_read_only > 0;
    if (!m->active) return 0;
    if (m->read_only_tree && p->n_writable > CX__SANDBOX_MAX_ROOTS)
        return cx_error_set(err, CX_EINVAL, "sandbox unavailable: more than %d writable roots",
                            CX__SANDBOX_MAX_ROOTS);
    if (!root_is_a_mount())
        return cx_error_set(err, CX_EIO,
                            "sandbox unavailable: / is not a mount point (a chroot?), so the "
                            "sandbox's read-only mounts cannot be kept to it; bind-mount the "
                            "chroot's directory onto itself before entering it, or run ccodex in "
                            "a container");
    m->privileged = geteuid() == 0;
    if (!m->privileged && userns_disabled())
        return cx_error_set(err, CX_EIO,
                            "sandbox unavailable: user namespaces are disabled "
                            "(/proc/sys/user/max_user_namespaces is 0); the sandbox needs one "
                            "for its read-only mounts (features.use_legacy_landlock = true uses "
                            "Landlock alone)");
    snprintf(m->uid_map, sizeof m->uid_map, "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
    snprintf(m->gid_map, sizeof m->gid_map, "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid());
    int rc = m->read_only_tree ? copy_list(p->writable, p->n_writable, &m->rw, &m->n_rw) : 0;
    if (!rc) rc = copy_list(p->read_only, p->n_read_only, &m->ro, &m->n_ro);
    if (rc) {
        cx__sandbox_mounts_clear(m);
        return cx_error_set(err, CX_ENOMEM, "out of memory");
    }
    /* an inner root laid first would be covered by its outer one's copy */
    if (m->rw && m->n_rw > 1) qsort(m->rw, m->n_rw, sizeof *m->rw, by_length);
    return 0;
}

/* ---- in the child: system calls only ------------------------------------------------------- */

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    size_t n = strlen(text);
    int e = write(fd, text, n) == (ssize_t)n ? 0 : errno ? errno : EIO;
    close(fd);
    return e;
}

/* A mount namespace of our own. Root (with CAP_SYS_ADMIN) needs no user
 * namespace and keeps its rights over files of every owner; anyone else gets
 * a user namespace mapping only their own uid and gid onto themselves. */
static int enter(const cx__sandbox_mounts *m)
{
    if (m->privileged && unshare(CLONE_NEWNS) == 0) return 0;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno;
    int e = write_file("/proc/self/setgroups", "deny");
    if (!e) e = write_file("/proc/self/uid_map", m->uid_map);
    if (!e) e = write_file("/proc/self/gid_map", m->gid_map);
    return e;
}

static int read_only(const char *path)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    return mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) ? errno : 0;
}

/* Copies of the writable roots are taken before the tree turns read-only,
 * so each keeps its own mounts' flags, then laid back over their paths. */
static int read_only_tree(const cx__sandbox_mounts *m)
{
    int fds[CX__SANDBOX_MAX_ROOTS];
    size_t n = 0;
    int e = 0;
    for (; n < m->n_rw; n++) {
        fds[n] = open_tree(AT_FDCWD, m->rw[n], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fds[n] < 0) {
            e = errno;
            break;
        }
    }
    if (!e) e = read_only("/");
    for (size_t i = 0; i < n; i++) {
        if (!e && move_mount(fds[i], "", AT_FDCWD, m->rw[i], MOVE_MOUNT_F_EMPTY_PATH) != 0)
            e = errno;
        close(fds[i]);
    }
    return e;
}

int cx__sandbox_mounts_apply(const cx__sandbox_mounts *m)
{
    if (!m->active) return 0;
    int e = enter(m);
    if (e) return e;
    /* nothing done here may reach the parent's namespace through propagation */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return errno;
    if (m->read_only_tree && (e = read_only_tree(m)) != 0) return e;
    for (size_t i = 0; i < m->n_ro; i++) {
        if (mount(m->ro[i], m->ro[i], NULL, MS_BIND | MS_REC, NULL) != 0) return errno;
        if ((e = read_only(m->ro[i])) != 0) return e;
    }
    /* the working directory was entered before the new mounts covered it:
     * look it up again so relative paths reach the writable copy */
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) && cwd[0] == '/' && chdir(cwd) != 0) return errno;
    return 0;
}
