/* The kernel side of the sandbox (see sandbox.h and docs/SANDBOX.md):
 * Landlock for the file system (and TCP where the ABI has it), a seccomp
 * filter built with libseccomp for sockets and mount calls, no_new_privs,
 * and, only when a writable root holds `.git` or `.codex`, a user + mount
 * namespace that binds those read-only (Landlock can only add rights, so a
 * read-only hole inside a writable tree needs a mount). Everything that
 * allocates or opens paths happens in cx_sandbox_prepare, in the parent; the
 * child only makes system calls. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

typedef struct ro_mount {
    char *path;
    unsigned long flags; /* the mount's flags, which a remount must keep */
} ro_mount;

struct cx_sandbox {
    int ruleset_fd;
    struct sock_fprog prog;
    bool use_ns;
    char uid_map[48], gid_map[48];
    ro_mount *ro;
    size_t n_ro;
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

static unsigned long mount_flags(const char *path)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) != 0) return 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

void cx_sandbox_free(cx_sandbox *sb)
{
    if (!sb) return;
    if (sb->ruleset_fd >= 0) close(sb->ruleset_fd);
    free(sb->prog.filter);
    for (size_t i = 0; sb->ro && i < sb->n_ro; i++)
        free(sb->ro[i].path);
    free(sb->ro);
    free(sb);
}

int cx_sandbox_prepare(const cx_sandbox_policy *p, cx_sandbox **out, cx_error *err)
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
    if (!rc && p->n_read_only) {
        sb->use_ns = true;
        snprintf(sb->uid_map, sizeof sb->uid_map, "%u %u 1\n", (unsigned)getuid(),
                 (unsigned)getuid());
        snprintf(sb->gid_map, sizeof sb->gid_map, "%u %u 1\n", (unsigned)getgid(),
                 (unsigned)getgid());
        sb->ro = calloc(p->n_read_only, sizeof *sb->ro);
        for (size_t i = 0; sb->ro && i < p->n_read_only; i++) {
            sb->ro[i].path = strdup(p->read_only[i]);
            sb->ro[i].flags = mount_flags(p->read_only[i]);
            sb->n_ro++;
            if (!sb->ro[i].path) break;
        }
        if (!sb->ro || sb->n_ro < p->n_read_only || !sb->ro[sb->n_ro - 1].path) {
            cx_error_set(err, CX_ENOMEM, "out of memory");
            rc = CX_ENOMEM;
        }
    }
    if (rc) {
        cx_sandbox_free(sb);
        return rc;
    }
    *out = sb;
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

static int read_only_binds(const cx_sandbox *sb)
{
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno;
    int e = write_file("/proc/self/setgroups", "deny");
    if (!e) e = write_file("/proc/self/uid_map", sb->uid_map);
    if (!e) e = write_file("/proc/self/gid_map", sb->gid_map);
    if (e) return e;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return errno;
    for (size_t i = 0; i < sb->n_ro; i++) {
        const char *path = sb->ro[i].path;
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0 ||
            mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | sb->ro[i].flags, NULL) != 0)
            return errno;
    }
    return 0;
}

int cx_sandbox_child_apply(void *prepared)
{
    const cx_sandbox *sb = prepared;
    if (!sb) return 0;
    int e;
    if (sb->use_ns && (e = read_only_binds(sb)) != 0) return e;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    if (syscall(SYS_landlock_restrict_self, sb->ruleset_fd, 0) != 0) return errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sb->prog) != 0) return errno;
    return 0;
}

bool cx_sandbox_available(char *why, size_t size)
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
    bool ok = abi >= 1 && seccomp_ok && !forced;
    char ll[64];
    if (abi >= 1)
        snprintf(ll, sizeof ll, "Landlock ABI %d", abi);
    else
        snprintf(ll, sizeof ll, "no Landlock (%s)", strerror(-abi));
    snprintf(why, size, "%s; %s; seccomp %s; user namespaces %s (for read-only .git/.codex)%s",
             ok ? "available" : "UNAVAILABLE", ll, seccomp_ok ? "yes" : "no",
             userns > 0    ? "yes"
             : userns == 0 ? "disabled"
                           : "unknown",
             forced ? "; disabled by " FORCE_UNAVAILABLE_ENV : "");
    return ok;
}
