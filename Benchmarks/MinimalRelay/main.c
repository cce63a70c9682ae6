// mcp-minimal-relay COMMAND [ARGS...]: the least an HTTP gateway in front of a stdio MCP server
// can do, as a yardstick for GatewayBenchmark. One thread and one epoll set: HTTP/1.1 keep-alive
// POSTs in, each body sent to the child as one line with its top-level "id" swapped for the
// relay's own (clients' ids may collide), each line from the child sent back as a 200 to the
// connection that asked, with the client's id put back. Nothing else: no JSON parsing beyond
// finding that id, no sessions, no eras, no policy, no headers checked. It listens on an
// ephemeral port of 127.0.0.1 and prints `minimal relay listening on http://127.0.0.1:PORT/mcp`.
//
// Not a product: a peer for the benchmark, which compares `hangar serve` with it in the same
// rounds, so that what any HTTP front costs on the machine (loopback TCP, a second process's
// wake-ups) is told apart from what Hangar's own work costs.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_FDS = 4096, MAX_MESSAGE = 4 << 20, SLOTS = 1 << 16, MAX_ID = 64 };

typedef struct {
    char *bytes;
    size_t length, capacity;
} Buffer;

typedef struct {
    Buffer in;
    unsigned generation;  // bumped when the descriptor closes, so late answers are dropped
    int open;
} Connection;

typedef struct {
    long relayID;  // 0: free
    int fd;
    unsigned generation;
    size_t idLength;
    char id[MAX_ID];  // the client's id token, verbatim
} Pending;

static Connection connections[MAX_FDS];
static Pending pending[SLOTS];
static long nextRelayID = 1;
static int childStdin = -1;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void reserve(Buffer *b, size_t more) {
    if (b->length + more <= b->capacity) return;
    size_t capacity = b->capacity ? b->capacity : 16384;
    while (capacity < b->length + more) capacity *= 2;
    b->bytes = realloc(b->bytes, capacity);
    if (!b->bytes) die("realloc");
    b->capacity = capacity;
}

static void consume(Buffer *b, size_t count) {
    memmove(b->bytes, b->bytes + count, b->length - count);
    b->length -= count;
}

static int writeAll(int fd, const struct iovec *parts, int count) {
    struct iovec v[8];
    memcpy(v, parts, sizeof(struct iovec) * (size_t)count);
    int at = 0;
    while (at < count) {
        ssize_t n = writev(fd, v + at, count - at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        while (at < count && (size_t)n >= v[at].iov_len) n -= (ssize_t)v[at++].iov_len;
        if (at < count) {
            v[at].iov_base = (char *)v[at].iov_base + n;
            v[at].iov_len -= (size_t)n;
        }
    }
    return 0;
}

static int isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The value of the top-level "id" member of the JSON object in p[0..<n], as [*start, *end).
static int topLevelID(const char *p, size_t n, size_t *start, size_t *end) {
    int depth = 0;
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (c == '"') {
            size_t s = i++;
            while (i < n && p[i] != '"') i += p[i] == '\\' ? 2 : 1;
            if (i >= n) return 0;
            i++;
            if (depth == 1 && i - s == 4 && memcmp(p + s, "\"id\"", 4) == 0) {
                size_t j = i;
                while (j < n && isSpace(p[j])) j++;
                if (j >= n || p[j] != ':') continue;
                j++;
                while (j < n && isSpace(p[j])) j++;
                size_t a = j;
                if (j < n && p[j] == '"') {
                    j++;
                    while (j < n && p[j] != '"') j += p[j] == '\\' ? 2 : 1;
                    j++;
                } else {
                    while (j < n && p[j] != ',' && p[j] != '}' && !isSpace(p[j])) j++;
                }
                if (j > n || j == a) return 0;
                *start = a;
                *end = j;
                return 1;
            }
            continue;
        }
        if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') depth--;
        i++;
    }
    return 0;
}

static void closeConnection(int epoll, int fd) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    connections[fd].open = 0;
    connections[fd].generation++;
    connections[fd].in.length = 0;
}

static void reply(int fd, const char *status, const char *body, size_t length) {
    char head[160];
    int h = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", status, length);
    struct iovec v[2] = {{head, (size_t)h}, {(void *)body, length}};
    writeAll(fd, v, length ? 2 : 1);
}

// Sends every whole request buffered on fd to the child; 0 when the connection must close.
static int requests(int fd) {
    Connection *c = &connections[fd];
    for (;;) {
        char *end = c->in.length >= 4 ? memmem(c->in.bytes, c->in.length, "\r\n\r\n", 4) : NULL;
        if (!end) return c->in.length < 65536;
        size_t headLength = (size_t)(end - c->in.bytes) + 4;
        long bodyLength = -1;
        for (char *line = c->in.bytes; line < end;) {
            char *next = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
            if (next - line > 15 && strncasecmp(line, "Content-Length:", 15) == 0) bodyLength = strtol(line + 15, NULL, 10);
            line = next + 2;
        }
        if (bodyLength < 0 || bodyLength > MAX_MESSAGE) {
            static const char tooLarge[] = "{\"error\":\"a body with a Content-Length of at most 4 MiB is required\"}";
            reply(fd, bodyLength < 0 ? "411 Length Required" : "413 Content Too Large", tooLarge, sizeof tooLarge - 1);
            return 0;
        }
        if (c->in.length < headLength + (size_t)bodyLength) {
            reserve(&c->in, headLength + (size_t)bodyLength - c->in.length);
            return 1;
        }
        const char *body = c->in.bytes + headLength;
        size_t idStart, idEnd;
        static const char newline = '\n';
        if (topLevelID(body, (size_t)bodyLength, &idStart, &idEnd) && idEnd - idStart <= MAX_ID) {
            long relayID = nextRelayID++;
            Pending *p = &pending[relayID & (SLOTS - 1)];
            p->relayID = relayID;
            p->fd = fd;
            p->generation = c->generation;
            p->idLength = idEnd - idStart;
            memcpy(p->id, body + idStart, p->idLength);
            char number[24];
            int digits = snprintf(number, sizeof number, "%ld", relayID);
            struct iovec v[4] = {{(void *)body, idStart}, {number, (size_t)digits},
                                 {(void *)(body + idEnd), (size_t)bodyLength - idEnd}, {(void *)&newline, 1}};
            if (writeAll(childStdin, v, 4) != 0) die("write to the server");
        } else {
            // A notification (or a response to the server): passed on, answered 202.
            struct iovec v[2] = {{(void *)body, (size_t)bodyLength}, {(void *)&newline, 1}};
            if (writeAll(childStdin, v, 2) != 0) die("write to the server");
            reply(fd, "202 Accepted", "", 0);
        }
        consume(&c->in, headLength + (size_t)bodyLength);
    }
}

// Sends every whole line from the child to the connection that asked for it.
static void answers(Buffer *out) {
    for (;;) {
        char *newline = memchr(out->bytes, '\n', out->length);
        if (!newline) return;
        size_t n = (size_t)(newline - out->bytes);
        size_t idStart, idEnd;
        if (topLevelID(out->bytes, n, &idStart, &idEnd)) {
            long relayID = strtol(out->bytes + idStart, NULL, 10);
            Pending *p = &pending[relayID & (SLOTS - 1)];
            if (relayID > 0 && p->relayID == relayID) {
                p->relayID = 0;
                if (connections[p->fd].open && connections[p->fd].generation == p->generation) {
                    char head[128];
                    int h = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                                     n - (idEnd - idStart) + p->idLength);
                    struct iovec v[4] = {{head, (size_t)h}, {out->bytes, idStart}, {p->id, p->idLength},
                                         {out->bytes + idEnd, n - idEnd}};
                    writeAll(p->fd, v, 4);
                }
            }
        }
        consume(out, n + 1);
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: mcp-minimal-relay COMMAND [ARGS...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int toChild[2], fromChild[2];
    if (pipe(toChild) != 0 || pipe(fromChild) != 0) die("pipe");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(toChild[0], 0);
        dup2(fromChild[1], 1);
        close(toChild[0]);
        close(toChild[1]);
        close(fromChild[0]);
        close(fromChild[1]);
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    close(toChild[0]);
    close(fromChild[1]);
    childStdin = toChild[1];
    int childStdout = fromChild[0];

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof address;
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 256) != 0
        || getsockname(listener, (struct sockaddr *)&address, &size) != 0) die("listen");
    printf("minimal relay listening on http://127.0.0.1:%d/mcp\n", ntohs(address.sin_port));
    fflush(stdout);

    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    event.data.fd = childStdout;
    epoll_ctl(epoll, EPOLL_CTL_ADD, childStdout, &event);
    Buffer out = {0};
    struct epoll_event ready[64];
    for (;;) {
        int count = epoll_wait(epoll, ready, 64, -1);
        if (count < 0 && errno == EINTR) continue;
        if (count < 0) die("epoll_wait");
        for (int i = 0; i < count; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) {
                int accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
                if (accepted < 0) continue;
                if (accepted >= MAX_FDS) {
                    close(accepted);
                    continue;
                }
                int one = 1;
                setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                connections[accepted].open = 1;
                connections[accepted].in.length = 0;
                event.data.fd = accepted;
                epoll_ctl(epoll, EPOLL_CTL_ADD, accepted, &event);
            } else if (fd == childStdout) {
                reserve(&out, 65536);
                ssize_t n = read(childStdout, out.bytes + out.length, out.capacity - out.length);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    int status = 0;
                    waitpid(child, &status, 0);
                    fprintf(stderr, "mcp-minimal-relay: the server ended (status %d)\n", status);
                    return 1;
                }
                out.length += (size_t)n;
                answers(&out);
            } else {
                Connection *c = &connections[fd];
                reserve(&c->in, 16384);
                ssize_t n = read(fd, c->in.bytes + c->in.length, c->in.capacity - c->in.length);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    closeConnection(epoll, fd);
                    continue;
                }
                c->in.length += (size_t)n;
                if (!requests(fd)) closeConnection(epoll, fd);
            }
        }
    }
}
