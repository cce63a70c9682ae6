#ifndef HANGAR_SYSTEM_H
#define HANGAR_SYSTEM_H
#include <sys/types.h>

/// Flags for hangar_spawn.
#define HANGAR_SPAWN_NEW_PGROUP 1
#define HANGAR_SPAWN_DIE_WITH_PARENT 2
#define HANGAR_SPAWN_NEW_SESSION 4

/// Starts `path` with `argv` and `envp`, its stdin/stdout/stderr set to the given
/// descriptors (-1: /dev/null) and every other descriptor closed. Between fork and exec
/// the child only makes async-signal-safe calls: it resets signals, optionally starts a
/// new process group or session, asks the kernel to SIGKILL it when the parent dies,
/// changes to `cwd` (if not NULL) and execs. Returns 0 and sets *pid, or an errno value
/// (including the exec failure of the child, reported through a close-on-exec pipe).
int hangar_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int fd_in, int fd_out, int fd_err, int flags, pid_t *pid);

/// Optional extra steps for hangar_spawn_ex (a zeroed struct, or NULL, means none).
struct hangar_spawn_extra {
    /// Descriptors the child receives at chosen numbers (each target >= 3, distinct),
    /// open across exec; every other descriptor above 2 is still closed.
    const int *fd_sources;
    const int *fd_targets;
    int fd_count;
    /// cgroup.procs files the child writes its own pid into before exec, so that
    /// everything it later starts is accounted (and limited) from the first instruction.
    const char *const *cgroup_procs;
    int cgroup_count;
    /// setrlimit(resource, {value, value}) in the child before exec.
    const int *rlimit_resources;
    const unsigned long long *rlimit_values;
    int rlimit_count;
    /// CPUs the child may run on (sched_setaffinity before exec); none: the parent's.
    const int *cpus;
    int cpu_count;
};

/// hangar_spawn plus the steps in `extra` (run after the process group/session and the
/// parent-death signal, before the descriptors are put in place). A failed step fails the
/// spawn with its errno, so a child that could not join its cgroup never runs.
int hangar_spawn_ex(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    int fd_in, int fd_out, int fd_err, int flags,
                    const struct hangar_spawn_extra *extra, pid_t *pid);

/// A close-on-exec memory file holding `bytes`, positioned at its start (for data a child
/// reads from a descriptor: bubblewrap's arguments, a seccomp program). Returns the fd or -errno.
int hangar_data_fd(const void *bytes, size_t count);

/// Creates a listening TCP socket on 0.0.0.0:`port` inside the network namespace at
/// `netns_path` (e.g. /proc/PID/ns/net) by switching the calling thread into it and back.
/// Returns the close-on-exec fd, or -errno. -EXDEV means the thread could not switch back:
/// it must not be used for anything else (run this on a thread of its own).
int hangar_listen_in_netns(const char *netns_path, int port, int backlog);

/// A TCP connection to 127.0.0.1:`port` inside the network namespace at `netns_path`, made
/// from the calling thread (which switches in and back). Returns the close-on-exec fd, or -errno
/// (-EXDEV: the thread could not switch back; run this on a thread of its own).
int hangar_connect_in_netns(const char *netns_path, int port);

/// pidfd_open(pid, 0): a descriptor that polls readable once `pid` has exited (any process,
/// not only children). Returns the fd or -errno.
int hangar_pidfd_open(pid_t pid);

/// Restricts thread `tid` (0: the calling thread) to the `count` CPUs in `cpus`.
/// Returns 0 or an errno value (EINVAL: none of them can be used).
int hangar_set_affinity(pid_t tid, const int *cpus, int count);

/// The CPUs thread `tid` (0: the calling thread) may run on, at most `max` of them, in
/// ascending order. Returns how many, or -errno.
int hangar_get_affinity(pid_t tid, int *cpus, int max);

/// waitpid(pid, &status, 0) retried on EINTR. Returns the raw status, or -1.
int hangar_wait(pid_t pid);
/// Decodes a raw wait status: exit code (>= 0) or -signal.
int hangar_exit_code(int status);
/// pipe2 with O_CLOEXEC.
int hangar_pipe(int fds[2]);
/// Whether epoll accepts `fd` (it refuses regular files and devices such as /dev/null):
/// 1 yes, 0 no, -errno when that cannot be told.
int hangar_is_pollable(int fd);
#endif
