/* The kernel side of the sandbox (see sandbox.h and docs/SANDBOX.md): a
 * mount namespace with a read-only tree and writable roots (mounts.c; in
 * legacy Landlock mode only for read-only `.git` / `.codex`), Landlock for
 * the file system as a second wall (and TCP where the ABI has it), a seccomp
 * filter built with libseccomp for sockets and mount calls, no_new_privs.
 * Everything that allocates or opens paths happens in cx__sandbox_prepare, in
 * the parent; the child only makes system calls. */
#include "sandbox/sandbox.h"

#include "sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Access rights newer than Debian 12's kernel headers (values from the
 * kernel's uapi, ABI 3, 4, 5 and 6). */
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_FS_IOCTL_DEV (1ULL << 15)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_SIGNAL (1ULL << 1)
#define LL_FS_ABI1 ((1ULL << 13) - 1)
#define LL_FS_READ                                                                                 \
    (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_FS_DEVICE                                                                               \
    (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LL_FS_TRUNCATE |               \
     LL_FS_IOCTL_DEV)

/* The ruleset attribute as of ABI 6; older kernels accept it when the fields
 * they do not know are zero, so its size follows the ABI. */
typedef struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
} ll_ruleset_attr;

#define FORCE_UNAVAILABLE_ENV "CCODEX_SANDBOX_FORCE_UNAVAILABLE"

struct cx_sandbox {
    int ruleset_fd;
    struct sock_fprog prog;
    cx__sandbox_mounts mounts;
};

static int landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? -errno : (int)v;
}

static bool forced_unavailable(void)
{
    const char *v = getenv(FORCE_UNAVAILABLE_ENV);
    return v && *v && strcmp(v, "0") != 0;
}

static int add_path(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) return 0; /* a device or root that is not there needs no rule */
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
                  LANDLOCK_ACCESS_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
    struct landlock_path_beneath_attr pb = {.allowed_access = access & handled, .parent_fd = fd};
    long rc = pb.allowed_access
                  ? syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0)
                  : 0;
    int e = rc < 0 ? errno : 0;
    close(fd);
    return e;
}

static int build_ruleset(const cx_sandbox_policy *p, int abi, cx_error *err)
{
    uint64_t fs = LL_FS_ABI1;
    if (abi >= 2) fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) fs |= LL_FS_TRUNCATE;
    if (abi >= 5) fs |= LL_FS_IOCTL_DEV;
    ll_ruleset_attr attr = {.handled_access_fs = fs};
    size_t size = sizeof attr.handled_access_fs;
    if (abi >= 4) {
        /* TCP too, as a second wall behind the seccomp socket filter */
        if (!p->network) attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        /* no signals to processes outside the sandbox (ccodex itself) */
        attr.scoped = LL_SCOPE_SIGNAL;
        size = sizeof attr;
    }
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0)
        return cx_error_set(err, CX_EIO, "sandbox unavailable: landlock_create_ruleset: %s",
                            strerror(errno));
    static const char *const devices[] = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                          "/dev/urandom", "/dev/tty",  "/dev/ptmx", "/dev/pts"};
    int e = add_path(fd, "/", LL_FS_READ, fs);
    for (size_t i = 0; !e && i < sizeof devices / sizeof devices[0]; i++)
        e = add_path(fd, devices[i], LL_FS_DEVICE, fs);
    for (size_t i = 0; !e && i < p->n_writable; i++)
        e = add_path(fd, p->writable[i], fs, fs);
    if (e) {
        close(fd);
        return cx_error_set(err, CX_EIO, "sandbox unavailable: landlock_add_rule: %s", strerror(e));
    }
    return fd;
}

/* The seccomp program: no mount-table changes ever (they could uncover what
 * the read-only binds hide), and without network no socket but AF_UNIX. */
static int build_filter(const cx_sandbox_policy *p, struct sock_fprog *prog, cx_error *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return cx_error_set(err, CX_EIO, "sandbox unavailable: seccomp_init failed");
    static const char *const mounts[] = {"mount",     "umount2",      "pivot_root", "move_mount",
                                         "open_tree", "fsopen",       "fsmount",    "fsconfig",
                                         "fspick",    "mount_setattr"};
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof mounts / sizeof mounts[0]; i++) {
        int nr = seccomp_syscall_resolve_name(mounts[i]);
        if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    if (!rc && !p->network) {
        /* spelled out: SCMP_A0() leaves datum_b to the compiler's zeroing */
        const struct scmp_arg_cmp not_unix = {
            .arg = 0, .op = SCMP_CMP_NE, .datum_a = AF_UNIX, .datum_b = 0};
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, not_unix);
        if (!rc)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair), 1, not_unix);
        /* io_uring can open sockets without socket(2) */
        if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0);
    }
    int mfd = rc ? -1 : memfd_create("cx-seccomp", MFD_CLOEXEC);
    if (!rc && mfd < 0) rc = -errno;
    if (!rc) rc = seccomp_export_bpf(ctx, mfd);
    seccomp_release(ctx);
    off_t len = rc ? 0 : lseek(mfd, 0, SEEK_END);
    if (!rc && (len <= 0 || len % (off_t)sizeof(struct sock_filter))) rc = -EIO;
    struct sock_filter *code = rc ? NULL : malloc((size_t)len);
    if (!rc && (!code || pread(mfd, code, (size_t)len, 0) != len)) rc = -EIO;
    if (mfd >= 0) close(mfd);
    if (rc) {
        free(code);
        return cx_error_set(err, CX_EIO, "sandbox unavailable: building the seccomp filter: %s",
                            strerror(-rc));
    }
    prog->filter = code;
    prog->len = (unsigned short)((size_t)len / sizeof(struct sock_filter));
    return 0;
}

void cx__sandbox_free(cx_sandbox *sb)
{
    if (!sb) return;
    if (sb->ruleset_fd >= 0) close(sb->ruleset_fd);
    free(sb->prog.filter);
    cx__sandbox_mounts_clear(&sb->mounts);
    free(sb);
}

int cx__sandbox_prepare(const cx_sandbox_policy *p, cx_sandbox **out, cx_error *err)
{
    *out = NULL;
    if (p->mode == CX_SANDBOX_FULL_ACCESS) return 0;
    if (forced_unavailable())
        return cx_error_set(err, CX_EIO, "sandbox unavailable: disabled by " FORCE_UNAVAILABLE_ENV);
    int abi = landlock_abi();
    if (abi < 1)
        return cx_error_set(err, CX_EIO,
                            "sandbox unavailable: the kernel does not provide Landlock (%s)",
                            strerror(-abi));
    cx_sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) return cx_error_set(err, CX_ENOMEM, "out of memory");
    sb->ruleset_fd = build_ruleset(p, abi, err);
    if (sb->ruleset_fd < 0) {
        int e = sb->ruleset_fd; /* build_ruleset's CX_E* */
        free(sb);
        return e;
    }
    int rc = build_filter(p, &sb->prog, err);
    if (!rc) rc = cx__sandbox_mounts_prepare(p, &sb->mounts, err);
    if (rc) {
        cx__sandbox_free(sb);
        return rc;
    }
    *out = sb;
    return 0;
}

/* ---- in the child: system calls only ------------------------------------------------------- */

int cx__sandbox_child_apply(void *prepared)
{
    const cx_sandbox *sb = prepared;
    if (!sb) return 0;
    int e;
    if ((e = cx__sandbox_mounts_apply(&sb->mounts)) != 0) return e;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    if (syscall(SYS_landlock_restrict_self, sb->ruleset_fd, 0) != 0) return errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sb->prog) != 0) return errno;
    return 0;
}

bool cx__sandbox_available(char *why, size_t size)
{
    int abi = landlock_abi();
    bool seccomp_ok = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
    long userns = -1;
    FILE *f = fopen("/proc/sys/user/max_user_namespaces", "r");
    if (f) {
        if (fscanf(f, "%ld", &userns) != 1) userns = -1;
        fclose(f);
    }
    bool forced = forced_unavailable();
    /* root enters a mount namespace without a user namespace */
    bool ns_ok = geteuid() == 0 || userns != 0;
    bool ok = abi >= 1 && seccomp_ok && ns_ok && !forced;
    char ll[64];
    if (abi >= 1)
        snprintf(ll, sizeof ll, "Landlock ABI %d", abi);
    else
        snprintf(ll, sizeof ll, "no Landlock (%s)", strerror(-abi));
    snprintf(why, size, "%s; %s; seccomp %s; user namespaces %s (for the read-only mounts%s)%s",
             ok ? "available" : "UNAVAILABLE", ll, seccomp_ok ? "yes" : "no",
             userns > 0    ? "yes"
             : userns == 0 ? "disabled"
                           : "unknown",
             geteuid() == 0 ? "; root needs none" : "",
             forced ? "; disabled by " FORCE_UNAVAILABLE_ENV : "");
    return ok;
}
