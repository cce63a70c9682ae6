#define _GNU_SOURCE
#include "hangar_system.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
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

static void close_others(int keep) {
    if (keep > 3) close_range_or_loop(3, (unsigned)keep - 1);
    close_range_or_loop((unsigned)keep + 1, ~0U);
}

int hangar_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int hangar_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int fd_in, int fd_out, int fd_err, int flags, pid_t *pid_out) {
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
        if (flags & HANGAR_SPAWN_DIE_WITH_PARENT) {
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report[1], errno);
            if (getppid() != parent) _exit(127);
        }
        int devnull = -1;
        if (fd_in < 0 || fd_out < 0 || fd_err < 0) devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        int src[3] = {fd_in < 0 ? devnull : fd_in, fd_out < 0 ? devnull : fd_out, fd_err < 0 ? devnull : fd_err};
        // Move sources above 2 first so a dup2 never clobbers a later source.
        for (int i = 0; i < 3; i++) {
            if (src[i] >= 0 && src[i] <= 2) {
                int moved = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
                if (moved < 0) child_fail(report[1], errno);
                src[i] = moved;
            }
        }
        for (int i = 0; i < 3; i++) {
            if (dup2(src[i], i) < 0) child_fail(report[1], errno);
        }
        // Close everything else except the report pipe (which is close-on-exec).
        close_others(report[1]);
        if (cwd && chdir(cwd) != 0) child_fail(report[1], errno);
        execve(path, argv, envp);
        child_fail(report[1], errno);
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
