/*
 * Copied from the project's shared benchmark peers (../shared/peers/c/) so that
 * `npm run bench:echo` is self-contained; built by bench/echo-bench.mjs.
 *
 * echo-load: load client for TCP echo servers (single thread, epoll/poll).
 * Every mode verifies the echoed bytes and is bounded in time (--deadline).
 *
 *   echo-load stream   PORT BYTES            E1: one connection, write BYTES while
 *                                             reading them back concurrently -> MB/s
 *   echo-load pingpong PORT CONNS ROUNDS SIZE E2: CONNS connections, each ROUNDS
 *                                             round trips of SIZE bytes -> RT/s, p50/p99
 *   echo-load burst    PORT CONNS SIZE        E3: CONNS concurrent connections, each
 *                                             echoes SIZE bytes once -> completion time
 * Options (after the mode args): DEADLINE_S (default 60)
 * Output: one line of key=value pairs (machine readable).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pattern: a buffer of period P, stored twice so any window of <= P bytes at
 * offset (o % P) is contiguous */
#define P 65521u /* prime, so the pattern does not line up with buffer sizes */
static unsigned char pat[2 * P];
static void init_pattern(void) {
    uint32_t x = 2463534242u;
    for (unsigned i = 0; i < P; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        pat[i] = pat[i + P] = (unsigned char)x;
    }
}

static int port;
static struct sockaddr_in sa;

static int mksock(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static int sock_error(int fd) {
    int err = 0; socklen_t l = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
    return err;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---------------- E1: stream ---------------- */
static int mode_stream(long long total, double deadline) {
    int fd = mksock();
    if (fd < 0) { printf("ok=0 error=connect\n"); return 1; }
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    if (poll(&pf, 1, 5000) <= 0 || sock_error(fd)) { printf("ok=0 error=connect\n"); return 1; }
    static unsigned char rbuf[256 * 1024];
    long long sent = 0, recvd = 0;
    int bad = 0;
    double t0 = now(), tend = t0 + deadline, last_progress = t0;
    while (recvd < total) {
        pf.events = POLLIN | (sent < total ? POLLOUT : 0);
        int r = poll(&pf, 1, 1000);
        double tn = now();
        if (tn > tend) { printf("ok=0 error=deadline sent=%lld recvd=%lld\n", sent, recvd); return 1; }
        if (tn - last_progress > 10) { printf("ok=0 error=stalled_10s sent=%lld recvd=%lld\n", sent, recvd); return 1; }
        if (r <= 0) continue;
        if (pf.revents & POLLOUT && sent < total) {
            for (int k = 0; k < 4 && sent < total; k++) {
                size_t want = P; /* pat is 2P long: P bytes available from any offset < P */
                if ((long long)want > total - sent) want = (size_t)(total - sent);
                ssize_t n = write(fd, pat + (sent % P), want);
                if (n > 0) sent += n; else break;
            }
            /* no shutdown(SHUT_WR): E1 measures throughput, not half-close handling */
        }
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            for (int k = 0; k < 4; k++) {
                size_t want = sizeof rbuf;
                ssize_t n = read(fd, rbuf, want);
                if (n > 0) {
                    /* verify in windows of <= P bytes */
                    size_t done = 0;
                    while (done < (size_t)n) {
                        size_t o = (size_t)((recvd + (long long)done) % P);
                        size_t w = (size_t)n - done;
                        if (w > P) w = P;
                        if (memcmp(rbuf + done, pat + o, w) != 0) bad = 1;
                        done += w;
                    }
                    recvd += n;
                    last_progress = now();
                } else if (n == 0) {
                    if (recvd < total) { printf("ok=0 error=eof sent=%lld recvd=%lld\n", sent, recvd); return 1; }
                    break;
                } else {
                    if (errno != EAGAIN) { printf("ok=0 error=read:%s recvd=%lld\n", strerror(errno), recvd); return 1; }
                    break;
                }
            }
        }
    }
    double dt = now() - t0;
    close(fd);
    printf("ok=%d bytes=%lld secs=%.4f mbps=%.1f verify=%s\n", !bad, recvd, dt, (double)recvd / dt / 1e6,
           bad ? "MISMATCH" : "ok");
    return bad;
}

/* ---------------- E2: pingpong ---------------- */
struct pp {
    int fd, state; /* 0 connecting, 1 connected, 2 waiting for echo, 3 done, 4 failed */
    int round;
    size_t off;
    double t_sent, t_progress;
};

static int pp_send(struct pp *p, int i, int size) {
    size_t po = ((size_t)i * 131 + (size_t)p->round * 7) % P;
    p->t_sent = now();
    p->off = 0;
    ssize_t n = write(p->fd, pat + po, (size_t)size);
    if (n != size) return -1; /* 64 B always fits in an empty socket buffer */
    p->state = 2;
    return 0;
}

static int mode_pingpong(int conns, int rounds, int size, double deadline) {
    int efd = epoll_create1(0);
    struct pp *c = calloc((size_t)conns, sizeof *c);
    double *lat = malloc(sizeof(double) * (size_t)conns * (size_t)rounds);
    size_t nlat = 0;
    unsigned char *rbuf = malloc((size_t)size);
    int failed = 0, done = 0, bad = 0, connected = 0, late = 0, stalled = 0, started = 0;
    for (int i = 0; i < conns; i++) {
        c[i].fd = mksock();
        if (c[i].fd < 0) { c[i].state = 4; failed++; continue; }
        struct epoll_event e = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
        epoll_ctl(efd, EPOLL_CTL_ADD, c[i].fd, &e);
    }
    struct epoll_event evs[1024];
    double tc = now(), t0 = 0, tend = tc + deadline;
    for (;;) {
        double tn = now();
        if (tn > tend) break;
        /* start the clock once all connections are up (or after 10 s) */
        if (!started && (connected + failed >= conns || tn - tc > 10)) {
            started = 1; t0 = now();
            for (int i = 0; i < conns; i++)
                if (c[i].state == 1 && pp_send(&c[i], i, size) < 0) { c[i].state = 4; failed++; }
        }
        if (started && done + failed >= conns) break;
        int n = epoll_wait(efd, evs, 1024, 200);
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            struct pp *p = &c[i];
            if (p->state == 0) {
                if (sock_error(p->fd)) { p->state = 4; failed++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); continue; }
                p->state = 1; connected++;
                struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
                epoll_ctl(efd, EPOLL_CTL_MOD, p->fd, &e);
                if (started) { late++; if (pp_send(p, i, size) < 0) { p->state = 4; failed++; } }
                continue;
            }
            if (p->state != 2) continue;
            ssize_t r = read(p->fd, rbuf + p->off, (size_t)size - p->off);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                p->state = 4; failed++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); continue;
            }
            p->off += (size_t)r;
            if (p->off < (size_t)size) continue;
            double t = now();
            size_t po = ((size_t)i * 131 + (size_t)p->round * 7) % P;
            if (memcmp(rbuf, pat + po, (size_t)size) != 0) bad++;
            lat[nlat++] = t - p->t_sent;
            p->round++;
            if (p->round >= rounds) { p->state = 3; done++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); continue; }
            if (pp_send(p, i, size) < 0) { p->state = 4; failed++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); }
        }
        /* a connection waiting > 10 s for its echo is stalled */
        if (started) {
            double tn2 = now();
            for (int i = 0; i < conns; i++)
                if (c[i].state == 2 && tn2 - c[i].t_sent > 10) {
                    c[i].state = 4; failed++; stalled++; epoll_ctl(efd, EPOLL_CTL_DEL, c[i].fd, NULL);
                }
        }
    }
    double dt = now() - (t0 ? t0 : tc);
    for (int i = 0; i < conns; i++) if (c[i].fd >= 0) close(c[i].fd);
    qsort(lat, nlat, sizeof(double), cmpd);
    double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)((double)nlat * 0.99)] : 0;
    int timedout = conns - done - failed;
    int ok = failed == 0 && timedout == 0 && bad == 0;
    printf("ok=%d roundtrips=%zu secs=%.4f rtps=%.0f p50_us=%.1f p99_us=%.1f failed_conns=%d stalled_conns=%d "
           "timedout_conns=%d late_conns=%d mismatches=%d\n",
           ok, nlat, dt, (double)nlat / dt, p50 * 1e6, p99 * 1e6, failed, stalled, timedout, late, bad);
    return !ok;
}

/* ---------------- E3: burst ---------------- */
struct bc { int fd, state; size_t woff, roff; double t0; }; /* 0 connecting 1 writing 2 reading 3 done 4 failed */

static int mode_burst(int conns, int size, double deadline) {
    int efd = epoll_create1(0);
    struct bc *c = calloc((size_t)conns, sizeof *c);
    unsigned char *rbuf = malloc((size_t)size + 1);
    if ((unsigned)size > P) { fprintf(stderr, "size must be <= %u\n", P); return 2; }
    int done = 0, failed = 0, bad = 0, connfail = 0, resets = 0, eofs = 0;
    double t0 = now(), tend = t0 + deadline;
    for (int i = 0; i < conns; i++) {
        c[i].fd = mksock();
        if (c[i].fd < 0) { c[i].state = 4; failed++; connfail++; continue; }
        struct epoll_event e = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
        epoll_ctl(efd, EPOLL_CTL_ADD, c[i].fd, &e);
    }
    double *lat = malloc(sizeof(double) * (size_t)conns);
    int nlat = 0;
    struct epoll_event evs[1024];
    while (done + failed < conns && now() < tend) {
        int n = epoll_wait(efd, evs, 1024, 200);
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            struct bc *p = &c[i];
            if (p->state == 0) {
                int err = sock_error(p->fd);
                if (err) { p->state = 4; failed++; connfail++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); continue; }
                p->state = 1;
            }
            if (p->state == 1) {
                ssize_t w = write(p->fd, pat + ((size_t)i * 31) % P + p->woff, (size_t)size - p->woff);
                if (w < 0 && errno != EAGAIN) { p->state = 4; failed++; resets++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); continue; }
                if (w > 0) p->woff += (size_t)w;
                if (p->woff == (size_t)size) {
                    p->state = 2;
                    struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
                    epoll_ctl(efd, EPOLL_CTL_MOD, p->fd, &e);
                }
                continue;
            }
            if (p->state == 2) {
                ssize_t r = read(p->fd, rbuf + p->roff, (size_t)size - p->roff);
                if (r < 0 && errno == EAGAIN) continue;
                if (r <= 0) { p->state = 4; failed++; if (r == 0) eofs++; else resets++; epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL); continue; }
                p->roff += (size_t)r;
                if (p->roff == (size_t)size) {
                    if (memcmp(rbuf, pat + ((size_t)i * 31) % P, (size_t)size) != 0) bad++;
                    p->state = 3; done++;
                    lat[nlat++] = now() - t0;
                    epoll_ctl(efd, EPOLL_CTL_DEL, p->fd, NULL);
                    close(p->fd); p->fd = -1;
                }
            }
        }
    }
    double dt = now() - t0;
    int timedout = conns - done - failed;
    for (int i = 0; i < conns; i++) if (c[i].fd >= 0) close(c[i].fd);
    qsort(lat, (size_t)nlat, sizeof(double), cmpd);
    printf("ok=%d done=%d secs=%.4f ms=%.1f p50_ms=%.1f failed=%d connfail=%d resets=%d eofs=%d timedout=%d mismatches=%d\n",
           (done == conns && bad == 0), done, dt, dt * 1e3, nlat ? lat[nlat / 2] * 1e3 : 0.0, failed, connfail, resets,
           eofs, timedout, bad);
    return !(done == conns && bad == 0);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr,
                "usage: %s stream PORT BYTES [DEADLINE]\n"
                "       %s pingpong PORT CONNS ROUNDS SIZE [DEADLINE]\n"
                "       %s burst PORT CONNS SIZE [DEADLINE]\n",
                argv[0], argv[0], argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max = 65536;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { getrlimit(RLIMIT_NOFILE, &rl); rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    }
    init_pattern();
    port = atoi(argv[2]);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    const char *m = argv[1];
    if (!strcmp(m, "stream")) return mode_stream(atoll(argv[3]), argc > 4 ? atof(argv[4]) : 60);
    if (!strcmp(m, "pingpong") && argc >= 6)
        return mode_pingpong(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argc > 6 ? atof(argv[6]) : 60);
    if (!strcmp(m, "burst") && argc >= 5) return mode_burst(atoi(argv[3]), atoi(argv[4]), argc > 5 ? atof(argv[5]) : 60);
    fprintf(stderr, "bad mode/args\n");
    return 2;
}
