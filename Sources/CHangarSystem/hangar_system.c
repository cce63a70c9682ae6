#define _GNU_SOURCE
#include "hangar_system.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_fail(int report_fd, int err) {
    ssize_t ignored = write(report_fd, &err, sizeof(err));
    (void)ignored;
    _exit(127);
}

static void close_range_or_loop(unsigned first, unsigned last) {
    if (first > last) return;
    if (syscall(SYS_close_range, first, last, 0) == 0) return;
    for (unsigned fd = first; fd <= last && fd < 65536; fd++) close((int)fd);
}

/// Closes every descriptor above 2 except those in `keep` (sorted in place).
static void close_all_but(int *keep, int count) {
    for (int i = 1; i < count; i++) {
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t;
        }
    }
    unsigned next = 3;
    for (int i = 0; i < count; i++) {
        if (keep[i] < (int)next) continue;
        close_range_or_loop(next, (unsigned)keep[i] - 1);
        next = (unsigned)keep[i] + 1;
    }
    close_range_or_loop(next, ~0U);
}

/// Writes the decimal pid of the caller into `path` (async-signal-safe).
static int join_cgroup(const char *path) {
    char digits[24];
    int n = 0;
    long value = (long)getpid();
    char reversed[24];
    do { reversed[n++] = (char)('0' + value % 10); value /= 10; } while (value > 0 && n < 23);
    for (int i = 0; i < n; i++) digits[i] = reversed[n - 1 - i];
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t written = write(fd, digits, (size_t)n);
    int err = written == n ? 0 : (written < 0 ? errno : EIO);
    close(fd);
    return err;
}

#define HANGAR_MAX_EXTRA_FDS 32

int hangar_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int hangar_is_pollable(int fd) {
    int poller = epoll_create1(EPOLL_CLOEXEC);
    if (poller < 0) return -errno;
    struct epoll_event event = { .events = EPOLLIN };
    int result = epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event) == 0 ? 1 : (errno == EPERM ? 0 : -errno);
    close(poller);
    return result;
}

int hangar_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int fd_in, int fd_out, int fd_err, int flags, pid_t *pid_out) {
    return hangar_spawn_ex(path, argv, envp, cwd, fd_in, fd_out, fd_err, flags, NULL, pid_out);
}

int hangar_data_fd(const void *bytes, size_t count) {
    int fd = (int)syscall(SYS_memfd_create, "hangar-data", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    const char *p = bytes;
    size_t left = count;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { int e = n < 0 ? errno : EIO; close(fd); return -e; }
        p += n;
        left -= (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) { int e = errno; close(fd); return -e; }
    return fd;
}

int hangar_spawn_ex(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    int fd_in, int fd_out, int fd_err, int flags,
                    const struct hangar_spawn_extra *extra, pid_t *pid_out) {
    int extra_fds = extra ? extra->fd_count : 0;
    if (extra_fds < 0 || extra_fds > HANGAR_MAX_EXTRA_FDS) return EINVAL;
    int highest_target = 2;
    for (int i = 0; i < extra_fds; i++) {
        if (extra->fd_targets[i] < 3 || extra->fd_sources[i] < 0) return EBADF;
        for (int j = 0; j < i; j++) if (extra->fd_targets[j] == extra->fd_targets[i]) return EINVAL;
        if (extra->fd_targets[i] > highest_target) highest_target = extra->fd_targets[i];
    }
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(report[0]);
        close(report[1]);
        return e;
    }
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            signal(s, SIG_DFL);
        }
        if (flags & HANGAR_SPAWN_NEW_SESSION) {
            if (setsid() < 0) child_fail(report[1], errno);
        } else if (flags & HANGAR_SPAWN_NEW_PGROUP) {
            if (setpgid(0, 0) != 0) child_fail(report[1], errno);
        }
        // The report pipe moves above every target so no dup2 below can clobber it.
        int report_fd = report[1];
        if (report_fd <= highest_target) {
            report_fd = fcntl(report[1], F_DUPFD_CLOEXEC, highest_target + 1);
            if (report_fd < 0) child_fail(report[1], errno);
        }
        if (flags & HANGAR_SPAWN_DIE_WITH_PARENT) {
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report_fd, errno);
            if (getppid() != parent) _exit(127);
        }
        for (int i = 0; extra && i < extra->cgroup_count; i++) {
            int err = join_cgroup(extra->cgroup_procs[i]);
            if (err != 0) child_fail(report_fd, err);
        }
        for (int i = 0; extra && i < extra->rlimit_count; i++) {
            struct rlimit limit = {(rlim_t)extra->rlimit_values[i], (rlim_t)extra->rlimit_values[i]};
            if (setrlimit(extra->rlimit_resources[i], &limit) != 0) child_fail(report_fd, errno);
        }
        if (extra && extra->cpu_count > 0) {
            int err = hangar_set_affinity(0, extra->cpus, extra->cpu_count);
            if (err != 0) child_fail(report_fd, err);
        }
        int devnull = -1;
        if (fd_in < 0 || fd_out < 0 || fd_err < 0) devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        int count = 3 + extra_fds;
        int src[3 + HANGAR_MAX_EXTRA_FDS];
        int dst[3 + HANGAR_MAX_EXTRA_FDS];
        src[0] = fd_in < 0 ? devnull : fd_in;
        src[1] = fd_out < 0 ? devnull : fd_out;
        src[2] = fd_err < 0 ? devnull : fd_err;
        for (int i = 0; i < 3; i++) dst[i] = i;
        for (int i = 0; i < extra_fds; i++) {
            src[3 + i] = extra->fd_sources[i];
            dst[3 + i] = extra->fd_targets[i];
        }
        // Move every source above every target first so a dup2 never clobbers a later source.
        for (int i = 0; i < count; i++) {
            if (src[i] >= 0 && src[i] <= highest_target) {
                int moved = fcntl(src[i], F_DUPFD_CLOEXEC, highest_target + 1);
                if (moved < 0) child_fail(report_fd, errno);
                src[i] = moved;
            }
        }
        for (int i = 0; i < count; i++) {
            if (dup2(src[i], dst[i]) < 0) child_fail(report_fd, errno);
        }
        // Close everything else except the targets and the report pipe (close-on-exec).
        int keep[1 + HANGAR_MAX_EXTRA_FDS];
        keep[0] = report_fd;
        for (int i = 0; i < extra_fds; i++) keep[1 + i] = dst[3 + i];
        close_all_but(keep, 1 + extra_fds);
        if (cwd && chdir(cwd) != 0) child_fail(report_fd, errno);
        execve(path, argv, envp);
        child_fail(report_fd, errno);
    }
    close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_errno, sizeof(child_errno));
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == sizeof(child_errno)) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return child_errno;
    }
    *pid_out = pid;
    return 0;
}

int hangar_wait(pid_t pid) {
    int status = 0;
    for (;;) {
        if (waitpid(pid, &status, 0) >= 0) return status;
        if (errno != EINTR) return -1;
    }
}

int hangar_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1;
}

/// Makes a TCP socket to 127.0.0.1 / any address on `port` inside the network namespace at
/// `netns_path`, from the calling thread, which switches in and back. `listening`: bind and
/// listen (with `backlog`); else connect. Returns the fd or -errno; -EXDEV when the thread could
/// not switch back.
static int socket_in_netns(const char *netns_path, int port, int listening, int backlog) {
    int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0) return -errno;
    int target = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (target < 0) { int e = errno; close(own); return -e; }
    if (setns(target, CLONE_NEWNET) != 0) { int e = errno; close(target); close(own); return -e; }
    close(target);
    int err = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
    } else {
        struct sockaddr_in addr;
        memset(&addr, 0, sizeof(addr));
        addr.sin_family = AF_INET;
        addr.sin_port = htons((unsigned short)port);
        int failed;
        if (listening) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            addr.sin_addr.s_addr = htonl(INADDR_ANY);
            failed = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, backlog) != 0;
        } else {
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            failed = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0;
        }
        if (failed) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    if (setns(own, CLONE_NEWNET) != 0) {
        close(own);
        if (fd >= 0) close(fd);
        return -EXDEV;
    }
    close(own);
    return fd >= 0 ? fd : -err;
}

int hangar_listen_in_netns(const char *netns_path, int port, int backlog) {
    return socket_in_netns(netns_path, port, 1, backlog);
}

int hangar_connect_in_netns(const char *netns_path, int port) {
    return socket_in_netns(netns_path, port, 0, 0);
}

int hangar_set_affinity(pid_t tid, const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return EINVAL;
        CPU_SET(cpus[i], &set);
    }
    return sched_setaffinity(tid, sizeof(set), &set) == 0 ? 0 : errno;
}

int hangar_get_affinity(pid_t tid, int *cpus, int max) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(tid, sizeof(set), &set) != 0) return -errno;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++) {
        if (CPU_ISSET(cpu, &set)) cpus[n++] = cpu;
    }
    return n;
}

int hangar_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
#else
    long fd = syscall(434, pid, 0);
#endif
    return fd < 0 ? -errno : (int)fd;
}
