/*
 * http-lat: a closed-loop keep-alive HTTP/1.1 load (like wrk -t1 -cN) that records every
 * request, for bench/latency-tail.mjs. Each of CONNS connections sends a GET, waits for the whole
 * response (Content-Length), sends the next; a connection the server closes (its last response
 * says Connection: close) is reopened, as wrk does.
 *
 *   http-lat PORT CONNS SECS PATH OUTFILE
 *
 * OUTFILE: one line per response, "SEND_US LATENCY_US", the send time on CLOCK_MONOTONIC (the
 * clock of `perf record -k CLOCK_MONOTONIC` and of Node's process.hrtime) in microseconds.
 * stdout: one line "RESULT requests=N rps=R p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..
 * reconnects=N". Exit 1 on a connection error or a malformed response.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS 20000000

struct conn {
    int fd;
    double sent_us;
    int have;
    char buf[16384];
};

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static struct sockaddr_in addr;
static char request[512];
static int request_len;

/* Opens connection i (blocking connect on loopback, then non-blocking) and sends a request. */
static int open_and_send(int ep, struct conn *c, unsigned i) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) != 0) return -1;
    c->have = 0;
    c->sent_us = now_us();
    return write(c->fd, request, request_len) == request_len ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s PORT CONNS SECS PATH OUTFILE\n", argv[0]);
        return 2;
    }
    int conns = atoi(argv[2]);
    double secs = atof(argv[3]);
    if (conns < 1 || conns > 10000 || !(secs > 0 && secs <= 600)) {
        fprintf(stderr, "http-lat: CONNS 1..10000, SECS 0..600\n");
        return 2;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[1]));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    request_len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", argv[4]);
    float *latency = malloc(MAX_RECORDS * sizeof *latency);
    double *sent = malloc(MAX_RECORDS * sizeof *sent);
    struct conn *c = calloc((size_t)conns, sizeof *c);
    int ep = epoll_create1(0);
    if (!latency || !sent || !c || ep < 0) return 1;
    size_t count = 0;
    long reconnects = 0;
    double start = now_us(), end = start + secs * 1e6;
    for (int i = 0; i < conns; i++) {
        if (open_and_send(ep, &c[i], (unsigned)i) != 0) {
            perror("http-lat: connect");
            return 1;
        }
    }
    struct epoll_event ev[256];
    while (now_us() < end) {
        int n = epoll_wait(ep, ev, 256, 100);
        for (int j = 0; j < n; j++) {
            unsigned i = ev[j].data.u32;
            struct conn *x = &c[i];
            for (;;) {
                ssize_t r = read(x->fd, x->buf + x->have, sizeof x->buf - (size_t)x->have);
                if (r == 0) {
                    /* closed after the last response on this connection: reopen */
                    if (x->have != 0) {
                        fprintf(stderr, "http-lat: connection closed inside a response\n");
                        return 1;
                    }
                    close(x->fd);
                    reconnects++;
                    if (open_and_send(ep, x, i) != 0) {
                        perror("http-lat: reconnect");
                        return 1;
                    }
                    break;
                }
                if (r < 0) break; /* EAGAIN */
                x->have += (int)r;
                for (;;) {
                    char *h = memmem(x->buf, (size_t)x->have, "\r\n\r\n", 4);
                    if (!h) {
                        if (x->have == (int)sizeof x->buf) {
                            fprintf(stderr, "http-lat: response head too large\n");
                            return 1;
                        }
                        break;
                    }
                    size_t head_len = (size_t)(h - x->buf);
                    char *cl = memmem(x->buf, head_len, "Content-Length:", 15);
                    if (!cl) cl = memmem(x->buf, head_len, "content-length:", 15);
                    if (!cl) {
                        fprintf(stderr, "http-lat: response without Content-Length\n");
                        return 1;
                    }
                    int total = (int)head_len + 4 + atoi(cl + 15);
                    if (total > (int)sizeof x->buf) {
                        fprintf(stderr, "http-lat: response larger than %zu bytes\n", sizeof x->buf);
                        return 1;
                    }
                    if (x->have < total) break;
                    int closing = memmem(x->buf, head_len, "onnection: close", 16) != NULL;
                    double t = now_us();
                    if (count < MAX_RECORDS) {
                        latency[count] = (float)(t - x->sent_us);
                        sent[count] = x->sent_us;
                        count++;
                    }
                    memmove(x->buf, x->buf + total, (size_t)(x->have - total));
                    x->have -= total;
                    if (closing) continue; /* the next request goes on a new connection */
                    x->sent_us = now_us();
                    if (write(x->fd, request, request_len) != request_len) {
                        perror("http-lat: write");
                        return 1;
                    }
                }
            }
        }
    }
    double elapsed = (now_us() - start) / 1e6;
    if (count == 0) {
        fprintf(stderr, "http-lat: no response\n");
        return 1;
    }
    FILE *f = fopen(argv[5], "w");
    if (!f) {
        perror("http-lat: OUTFILE");
        return 1;
    }
    for (size_t i = 0; i < count; i++) fprintf(f, "%.1f %.1f\n", sent[i], latency[i]);
    fclose(f);
    qsort(latency, count, sizeof *latency, cmp_float);
    printf("RESULT requests=%zu rps=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f reconnects=%ld\n",
           count, count / elapsed, latency[count / 2], latency[count * 9 / 10], latency[count * 99 / 100],
           latency[count * 999 / 1000], latency[count - 1], reconnects);
    return 0;
}
