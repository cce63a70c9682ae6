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

/// waitpid(pid, &status, 0) retried on EINTR. Returns the raw status, or -1.
int hangar_wait(pid_t pid);
/// Decodes a raw wait status: exit code (>= 0) or -signal.
int hangar_exit_code(int status);
/// pipe2 with O_CLOEXEC.
int hangar_pipe(int fds[2]);
#endif
