/*
 * A join driver for the joins scenario: WebSocket handshakes against a node from one thread and
 * one epoll, so the client costs a small fraction of what the node spends on each join and the
 * node's rate is what is measured.
 *
 *   joins PORT PATH HOLD CHURN_SECONDS CONCURRENCY [source addresses...]
 *
 * First HOLD listeners join (CONCURRENCY handshakes at a time) and stay, read and discard what
 * they are sent (the audience of a broadcast). Then, for CHURN_SECONDS, CONCURRENCY handshakes
 * at a time join and leave: connect, upgrade, the first message (welcome or waiting), a masked
 * close frame with 1000, and the socket closed once the node has closed its side. Each phase
 * prints one JSON line: joins, joins per second, the answer's latency (connect to the first
 * message, p50/p99/max in ms), the HTTP statuses other than 101, failures, this process's CPU.
 * Sockets are bound to the source addresses in turn (127.0.0.1 when none are given). With
 * NODE_PID set in the environment, each line also gives that process's CPU over the phase
 * (user + system, from /proc) and its CPU per join. With LINGER=S, the held listeners stay S
 * seconds after the hold phase before anything else happens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum phase { CONNECTING, UPGRADING, HELD, CLOSING };

struct connection {
    int fd;
    enum phase phase;
    int churn;
    double started;
    size_t have;
    char buffer[1024];
};

static int port, sources, epoll_fd;
static char **source;
static char request[512];
static size_t request_length;
static long next_source;

/* One phase's counts. */
static long joined, failures, welcomes, waiting, refused[600];
static double *latencies;
static long latency_count, latency_capacity;
static long open_count, held_count;
static long long held_bytes;

/* User + system CPU seconds of another process, from /proc/PID/stat; -1 when unknown. */
static double process_cpu(long pid) {
    if (pid <= 0) return -1;
    char path[64], text[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    size_t n = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[n] = 0;
    char *p = strrchr(text, ')');
    if (!p) return -1;
    unsigned long user = 0, system = 0;
    /* After the command's closing parenthesis: state, then fields 4..13, then utime, stime. */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user, &system) != 2) return -1;
    return (double)(user + system) / sysconf(_SC_CLK_TCK);
}

static long node_pid;

static void record(double latency) {
    if (latency_count == latency_capacity) {
        latency_capacity = latency_capacity ? latency_capacity * 2 : 65536;
        latencies = realloc(latencies, sizeof(double) * latency_capacity);
    }
    latencies[latency_count++] = latency;
}

static void finish(struct connection *c) {
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->phase == HELD) held_count--;
    free(c);
    open_count--;
}

static void fail(struct connection *c) {
    failures++;
    finish(c);
}

static void start(int churn) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) { failures++; return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in local = {.sin_family = AF_INET};
    inet_pton(AF_INET, sources ? source[next_source++ % sources] : "127.0.0.1", &local.sin_addr);
    bind(fd, (struct sockaddr *)&local, sizeof local);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    struct connection *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->churn = churn;
    c->started = now();
    c->phase = CONNECTING;
    open_count++;
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS) { fail(c); return; }
    struct epoll_event e = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &e);
}

/* The first server frame, when complete in the buffer after the response head: its length. */
static long first_frame(const char *p, size_t n) {
    if (n < 2) return -1;
    uint64_t length = (unsigned char)p[1] & 0x7f;
    size_t header = 2;
    if (length == 126) {
        if (n < 4) return -1;
        length = ((unsigned char)p[2] << 8) | (unsigned char)p[3];
        header = 4;
    } else if (length == 127) {
        return -2;
    }
    return header + length <= n ? (long)(header + length) : -1;
}

static void answered(struct connection *c) {
    char *end = memmem(c->buffer, c->have, "\r\n\r\n", 4);
    if (!end) {
        if (c->have == sizeof c->buffer) fail(c);
        return;
    }
    int status = 0;
    if (sscanf(c->buffer, "HTTP/1.1 %d", &status) != 1) { fail(c); return; }
    if (status != 101) {
        if (status > 0 && status < 600) refused[status]++;
        record(now() - c->started);
        joined++;
        finish(c);
        return;
    }
    char *frame = end + 4;
    size_t left = c->have - (frame - c->buffer);
    long length = first_frame(frame, left);
    if (length == -2) { fail(c); return; }
    if (length < 0) {
        if (c->have == sizeof c->buffer) fail(c);
        return;
    }
    if (memmem(frame, length, "\"welcome\"", 9)) welcomes++;
    else if (memmem(frame, length, "\"waiting\"", 9)) waiting++;
    record(now() - c->started);
    joined++;
    if (c->churn) {
        /* A masked close frame, code 1000, mask 0: the node answers and closes its side. */
        static const char close_frame[] = {(char)0x88, (char)0x82, 0, 0, 0, 0, 0x03, (char)0xe8};
        if (write(c->fd, close_frame, sizeof close_frame) != sizeof close_frame) { fail(c); return; }
        c->phase = CLOSING;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &e);
    } else {
        c->phase = HELD;
        held_count++;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &e);
    }
}

static void ready(struct connection *c, uint32_t events) {
    static char sink[65536];
    switch (c->phase) {
    case CONNECTING: {
        if (events & (EPOLLERR | EPOLLHUP)) { fail(c); return; }
        if (!(events & EPOLLOUT)) return;
        if (write(c->fd, request, request_length) != (ssize_t)request_length) { fail(c); return; }
        c->phase = UPGRADING;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &e);
        return;
    }
    case UPGRADING: {
        ssize_t got = read(c->fd, c->buffer + c->have, sizeof c->buffer - c->have);
        if (got <= 0) { if (got < 0 && errno == EAGAIN) return; fail(c); return; }
        c->have += got;
        answered(c);
        return;
    }
    case HELD: {
        ssize_t got = read(c->fd, sink, sizeof sink);
        if (got > 0) { held_bytes += got; return; }
        if (got < 0 && errno == EAGAIN) return;
        finish(c); /* the node closed a held listener: counted by the shortfall at the end */
        return;
    }
    case CLOSING: {
        ssize_t got = read(c->fd, sink, sizeof sink);
        if (got > 0 || (got < 0 && errno == EAGAIN)) return;
        finish(c);
        return;
    }
    }
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double seconds, double cpu_seconds, double node_seconds) {
    qsort(latencies, latency_count, sizeof(double), compare);
    double p50 = latency_count ? latencies[latency_count / 2] : 0;
    double p99 = latency_count ? latencies[(long)(latency_count * 0.99)] : 0;
    double max = latency_count ? latencies[latency_count - 1] : 0;
    printf("{\"phase\": \"%s\", \"joins\": %ld, \"seconds\": %.3f, \"joinsPerSecond\": %.0f, \"welcomes\": %ld, "
           "\"waiting\": %ld, \"failures\": %ld, \"answerP50Ms\": %.2f, \"answerP99Ms\": %.2f, \"answerMaxMs\": %.2f, "
           "\"held\": %ld, \"heldBytesPerSecond\": %.0f, \"driverCpuSeconds\": %.3f, \"nodeCpuSeconds\": %.3f, "
           "\"nodeCpuMicrosPerJoin\": %.1f, \"refused\": {",
           name, joined, seconds, seconds > 0 ? joined / seconds : 0, welcomes, waiting, failures, p50 * 1e3, p99 * 1e3,
           max * 1e3, held_count, seconds > 0 ? held_bytes / seconds : 0, cpu_seconds, node_seconds,
           node_seconds >= 0 && joined ? node_seconds * 1e6 / joined : -1);
    int first = 1;
    for (int s = 0; s < 600; s++) {
        if (!refused[s]) continue;
        printf("%s\"%d\": %ld", first ? "" : ", ", s, refused[s]);
        first = 0;
    }
    printf("}}\n");
    fflush(stdout);
    joined = failures = welcomes = waiting = latency_count = 0;
    held_bytes = 0;
    memset(refused, 0, sizeof refused);
}

static void serve_events(double timeout) {
    struct epoll_event events[512];
    int n = epoll_wait(epoll_fd, events, 512, (int)(timeout * 1e3));
    for (int i = 0; i < n; i++) ready(events[i].data.ptr, events[i].events);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: joins PORT PATH HOLD CHURN_SECONDS CONCURRENCY [sources...]\n");
        return 2;
    }
    port = atoi(argv[1]);
    const char *path = argv[2];
    long hold = atol(argv[3]);
    double churn_seconds = atof(argv[4]);
    int concurrency = atoi(argv[5]);
    sources = argc - 6;
    source = argv + 6;
    request_length = snprintf(request, sizeof request,
                              "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                              path, port);
    epoll_fd = epoll_create1(0);
    if (getenv("NODE_PID")) node_pid = atol(getenv("NODE_PID"));

    if (hold > 0) {
        double t0 = now(), c0 = cpu(), n0 = process_cpu(node_pid);
        long started = 0;
        /* Every held listener answered, or a minute: a node that stops answering ends the phase. */
        while ((started < hold || open_count > held_count) && now() - t0 < 60) {
            while (started < hold && open_count - held_count < concurrency) { start(0); started++; }
            serve_events(0.05);
        }
        report("hold", now() - t0, cpu() - c0, n0 < 0 ? -1 : process_cpu(node_pid) - n0);
        /* LINGER seconds with the held listeners only (reading), e.g. to measure the server's memory. */
        double linger = getenv("LINGER") ? atof(getenv("LINGER")) : 0, t1 = now();
        while (now() - t1 < linger) serve_events(0.05);
    }
    if (churn_seconds > 0) {
        double t0 = now(), c0 = cpu(), n0 = process_cpu(node_pid);
        while (now() - t0 < churn_seconds) {
            while (open_count - held_count < concurrency) start(1);
            serve_events(0.05);
        }
        double seconds = now() - t0, used = cpu() - c0, node = n0 < 0 ? -1 : process_cpu(node_pid) - n0;
        /* Joins still under way are not counted; the held listeners' reading is in the CPU. */
        report("churn", seconds, used, node);
    }
    return 0;
}
