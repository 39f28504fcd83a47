/*
 * Copied from the project's shared benchmark peers (../shared/peers/c/) so that
 * `npm run bench:echo` is self-contained; built by bench/echo-bench.mjs.
 *
 * echo-epoll: minimal single-threaded, level-triggered epoll TCP echo server
 * (RFC 862 semantics: everything received is sent back).  Reference for the
 * near-physical limit of a user-space echo server on this machine.
 *
 *   echo-epoll PORT [BIND_ADDR=127.0.0.1]
 *
 * Per connection one 64 KiB buffer; if the peer does not read, we stop
 * reading from it (EPOLLOUT only) until the pending bytes are written, so
 * memory stays bounded (backpressure).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ (64 * 1024)

struct conn {
    int fd;
    size_t off, len;
    char buf[BUFSZ];
};

static int efd;

static void conn_close(struct conn *c) {
    epoll_ctl(efd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static void set_events(struct conn *c, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &e);
}

/* returns 0 when everything pending was written, 1 if blocked, -1 on error */
static int flush(struct conn *c) {
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n > 0) { c->off += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        return -1;
    }
    c->off = c->len = 0;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s PORT [ADDR]\n", argv[0]); return 2; }
    int port = atoi(argv[1]);
    const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("bind"); return 1; }
    if (listen(lfd, 4096) < 0) { perror("listen"); return 1; }

    efd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &le);

    struct epoll_event evs[512];
    for (;;) {
        int n = epoll_wait(efd, evs, 512, -1);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) { /* listener */
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = malloc(sizeof *nc);
                    if (!nc) { close(fd); continue; }
                    nc->fd = fd; nc->off = nc->len = 0;
                    struct epoll_event e = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc};
                    epoll_ctl(efd, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            uint32_t ev = evs[i].events;
            if (ev & EPOLLERR) { conn_close(c); continue; }
            if (c->len) { /* blocked on output */
                int r = flush(c);
                if (r < 0) { conn_close(c); continue; }
                if (r == 0) set_events(c, EPOLLIN | EPOLLRDHUP);
                continue;
            }
            if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
                ssize_t r = read(c->fd, c->buf, BUFSZ);
                if (r == 0) { conn_close(c); continue; }  /* peer closed: echo done */
                if (r < 0) {
                    if (errno == EAGAIN || errno == EINTR) continue;
                    conn_close(c); continue;
                }
                c->off = 0; c->len = (size_t)r;
                int w = flush(c);
                if (w < 0) { conn_close(c); continue; }
                if (w == 1) set_events(c, EPOLLOUT);
            }
        }
    }
}
