/*
 * A listener swarm for the cluster scenario: listeners that join a Space at a set rate, wait in
 * its line when told to, and then read its audio, from one thread and one epoll, so that the
 * load costs the machine far less than the nodes it measures (the scenario runs both on the same
 * two cores).
 *
 *   swarm SPACE LISTENERS RATE SECONDS PORTS [source addresses...]
 *
 * PORTS is a comma-separated list of node ports on 127.0.0.1; listener i joins the node
 * PORTS[i mod n]. Listeners start at RATE per second from the first one; the run lasts SECONDS
 * from then, and the listeners stay connected until it ends. Each listener: connect, upgrade
 * (`GET /v1/spaces/SPACE/listen`), then `waiting` events until `welcome`, then audio batches.
 * Pings are answered. A handshake not answered within 10 s is a failure (`connectTimeout`).
 *
 * For every audio batch (protocol §7): the frames it carries, the frames missing before it
 * (serial-number arithmetic on firstSequence, per listener), and its latency, the wall clock now
 * less its captureTimeMicros (the origin node's clock: the same machine). Latencies go into
 * 1 ms histograms, per node and in total.
 *
 * Every 5 s a progress line goes to stderr. At the end one JSON object goes to stdout: the
 * counts, failures by kind, HTTP statuses other than 101, close codes, and the histograms as
 * sparse [[ms, count], …] lists (answer: connect to the first message; welcome: connect to
 * welcome; waited: first waiting to welcome; audio: per batch; steadyAudio: per batch from 5 s
 * after every listener had its outcome and nobody waited, with steadySeconds, steadyLost and
 * steadyFromSeconds), so that the scenario can merge
 * several swarm processes exactly.
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

#define MAX_PORTS 16
#define BINS 60001         /* 1 ms bins, 0 … 60 s; the last one holds everything longer */
#define TEXT_LIMIT 8192    /* text messages are classified from their first 8 KB */
#define HEAD_LIMIT 2048    /* the HTTP response head */
#define ANSWER_TIMEOUT 10.0

enum phase { CONNECTING, UPGRADING, WAITING, ADMITTED, CLOSED };

struct connection {
    int fd;
    uint8_t phase, port, opcode, head_have, head_need, in_payload, has_expected, answered, http;
    uint64_t payload_left;
    uint8_t head[14];
    uint8_t batch[14];
    uint8_t batch_have;
    uint32_t expected;
    double started, waiting_since;
    char *text;          /* the HTTP head while upgrading, then the text message being read */
    uint32_t text_have;
};

struct histogram { uint32_t bins[BINS]; };

static struct histogram answer_h, welcome_h, waited_h, audio_h, interval_h, steady_h, port_h[MAX_PORTS];
/* The steady state: from 5 s after every listener was admitted (0: not yet). */
static double steady_from;
static long long steady_lost;

static int ports[MAX_PORTS], port_count, sources, epoll_fd;
static char **source;
static const char *space;
static char request[MAX_PORTS][512];
static size_t request_length[MAX_PORTS];

static long started_count, failures_timeout, failures_connect, failures_closed, answered_count, welcome_count,
    waiting_answers, refused_messages, ended_messages, http_status[600], close_codes[5000], out_of_order;
static long waiting_now, admitted_now;
static long long frames, lost, gaps, batches, bytes_read;
static long port_admitted[MAX_PORTS], port_now[MAX_PORTS];
static long long port_frames[MAX_PORTS], port_lost[MAX_PORTS];

static int64_t wall_micros(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void add(struct histogram *h, double ms) {
    long bin = ms < 0 ? 0 : (long)ms;
    h->bins[bin < BINS ? bin : BINS - 1]++;
}

static long percentile(const struct histogram *h, double q) {
    long long total = 0, seen = 0;
    for (long i = 0; i < BINS; i++) total += h->bins[i];
    if (!total) return -1;
    long long rank = (long long)(q * (total - 1));
    for (long i = 0; i < BINS; i++) {
        seen += h->bins[i];
        if (seen > rank) return i;
    }
    return BINS - 1;
}

/* Open or admitted listeners leave the counts of "now" when their socket closes. */
static void finish(struct connection *c) {
    if (c->phase == CLOSED) return;
    if (c->phase == WAITING) waiting_now--;
    if (c->phase == ADMITTED) { admitted_now--; port_now[c->port]--; }
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->text);
    c->text = NULL;
    c->phase = CLOSED;
}

static void first_answer(struct connection *c) {
    if (c->answered) return;
    c->answered = 1;
    answered_count++;
    add(&answer_h, (now() - c->started) * 1e3);
}

static void classify_text(struct connection *c) {
    const char *t = c->text;
    uint32_t n = c->text_have;
    if (memmem(t, n, "\"type\":\"welcome\"", 16)) {
        first_answer(c);
        welcome_count++;
        add(&welcome_h, (now() - c->started) * 1e3);
        if (c->phase == WAITING) {
            waiting_now--;
            add(&waited_h, (now() - c->waiting_since) * 1e3);
        }
        c->phase = ADMITTED;
        admitted_now++;
        port_admitted[c->port]++;
        port_now[c->port]++;
    } else if (memmem(t, n, "\"type\":\"waiting\"", 16)) {
        if (c->phase == UPGRADING) {
            first_answer(c);
            waiting_answers++;
            waiting_now++;
            c->phase = WAITING;
            c->waiting_since = now();
        }
    } else if (memmem(t, n, "\"type\":\"refused\"", 16)) {
        first_answer(c);
        refused_messages++;
    } else if (memmem(t, n, "\"type\":\"ended\"", 14)) {
        first_answer(c);
        ended_messages++;
    }
}

static void batch(struct connection *c) {
    if (c->batch_have < 14 || c->batch[0] != 1) return;
    uint32_t count = c->batch[1];
    uint32_t first = ((uint32_t)c->batch[2] << 24) | ((uint32_t)c->batch[3] << 16) | ((uint32_t)c->batch[4] << 8) | c->batch[5];
    uint64_t capture = 0;
    for (int i = 6; i < 14; i++) capture = (capture << 8) | c->batch[i];
    double ms = (wall_micros() - (int64_t)capture) / 1e3;
    add(&audio_h, ms);
    add(&interval_h, ms);
    int steady = steady_from > 0 && now() >= steady_from;
    if (steady) add(&steady_h, ms);
    add(&port_h[c->port], ms);
    batches++;
    frames += count;
    port_frames[c->port] += count;
    if (c->has_expected) {
        int32_t delta = (int32_t)(first - c->expected);
        if (delta > 0) { lost += delta; port_lost[c->port] += delta; gaps++; if (steady) steady_lost += delta; }
        if (delta < 0) out_of_order++;
    }
    c->expected = first + count;
    c->has_expected = 1;
}

/* One whole frame has been read: act on it. */
static void complete(struct connection *c) {
    switch (c->opcode) {
    case 1: classify_text(c); break;
    case 2: batch(c); break;
    case 8: {
        int code = c->text_have >= 2 ? ((unsigned char)c->text[0] << 8) | (unsigned char)c->text[1] : 1005;
        close_codes[code > 0 && code < 5000 ? code : 0]++;
        if (!c->answered) failures_closed++;
        finish(c);
        return;
    }
    case 9: {
        /* A masked pong (mask 0) echoing the ping's payload (at most 125 bytes). */
        unsigned char pong[6 + 125];
        uint32_t n = c->text_have > 125 ? 125 : c->text_have;
        pong[0] = 0x8a;
        pong[1] = 0x80 | n;
        memset(pong + 2, 0, 4);
        memcpy(pong + 6, c->text, n);
        /* Written whole or not at all: a part of a frame would corrupt the stream. */
        ssize_t wrote = write(c->fd, pong, 6 + n);
        if (wrote >= 0 && wrote != (ssize_t)(6 + n)) { finish(c); return; }
        if (wrote < 0 && errno != EAGAIN) { finish(c); return; }
        break;
    }
    default: break;
    }
    c->text_have = 0;
    c->batch_have = 0;
}

/* Frames after the upgrade, as they come: headers, then the payload (only the batch header of
 * a binary message and the first TEXT_LIMIT bytes of a text, close or ping message are kept). */
static void feed(struct connection *c, const unsigned char *p, size_t n) {
    while (n > 0 && c->phase != CLOSED) {
        if (!c->in_payload) {
            if (c->head_need == 0) c->head_need = 2;
            while (n > 0 && c->head_have < c->head_need) {
                c->head[c->head_have++] = *p++;
                n--;
                if (c->head_have == 2) {
                    uint8_t l = c->head[1] & 0x7f;
                    c->head_need = 2 + (l == 126 ? 2 : l == 127 ? 8 : 0);
                }
            }
            if (c->head_have < c->head_need) return;
            uint64_t length = c->head[1] & 0x7f;
            if (length == 126) length = ((uint64_t)c->head[2] << 8) | c->head[3];
            else if (length == 127) { length = 0; for (int i = 2; i < 10; i++) length = (length << 8) | c->head[i]; }
            c->opcode = c->head[0] & 0x0f;
            c->payload_left = length;
            c->in_payload = 1;
            c->head_have = 0;
            c->head_need = 2;
            c->text_have = 0;
            c->batch_have = 0;
        }
        size_t take = c->payload_left < n ? (size_t)c->payload_left : n;
        if (c->opcode == 2) {
            size_t keep = take < (size_t)(14 - c->batch_have) ? take : (size_t)(14 - c->batch_have);
            memcpy(c->batch + c->batch_have, p, keep);
            c->batch_have += keep;
        } else if (take > 0) {
            if (!c->text) c->text = malloc(TEXT_LIMIT);
            size_t keep = take < TEXT_LIMIT - c->text_have ? take : TEXT_LIMIT - c->text_have;
            memcpy(c->text + c->text_have, p, keep);
            c->text_have += keep;
        }
        p += take;
        n -= take;
        c->payload_left -= take;
        if (c->payload_left == 0) {
            c->in_payload = 0;
            complete(c);
        }
    }
    if (c->text && c->text_have == 0 && !c->in_payload) {
        free(c->text);
        c->text = NULL;
    }
}

static struct connection *start(long index) {
    int port = (int)(index % port_count);
    struct connection *c = calloc(1, sizeof *c);
    c->port = port;
    c->http = 1;
    c->started = now();
    started_count++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) { failures_connect++; c->phase = CLOSED; return c; }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in local = {.sin_family = AF_INET};
    inet_pton(AF_INET, sources ? source[index % sources] : "127.0.0.1", &local.sin_addr);
    bind(c->fd, (struct sockaddr *)&local, sizeof local);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(ports[port])};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    c->phase = CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS) {
        failures_connect++;
        close(c->fd);
        c->phase = CLOSED;
        return c;
    }
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &e);
    return c;
}

static void upgrade_answer(struct connection *c, unsigned char *buffer, size_t n) {
    if (!c->text) c->text = malloc(HEAD_LIMIT);
    size_t keep = n < HEAD_LIMIT - c->text_have ? n : HEAD_LIMIT - c->text_have;
    memcpy(c->text + c->text_have, buffer, keep);
    c->text_have += keep;
    char *end = memmem(c->text, c->text_have, "\r\n\r\n", 4);
    if (!end) {
        if (c->text_have == HEAD_LIMIT) { failures_closed++; finish(c); }
        return;
    }
    int status = 0;
    if (sscanf(c->text, "HTTP/1.1 %d", &status) != 1) { failures_closed++; finish(c); return; }
    if (status != 101) {
        if (status > 0 && status < 600) http_status[status]++;
        first_answer(c);
        finish(c);
        return;
    }
    /* What followed the head (the first frames): fed once the head is let go, in order. */
    c->http = 0;
    size_t head = (size_t)(end + 4 - c->text);
    size_t rest = c->text_have - head;
    unsigned char tail[HEAD_LIMIT];
    memcpy(tail, c->text + head, rest);
    free(c->text);
    c->text = NULL;
    c->text_have = 0;
    feed(c, tail, rest);
    /* Bytes of this read beyond what the head buffer kept. */
    if (keep < n) feed(c, buffer + keep, n - keep);
}

static void ready(struct connection *c, uint32_t events) {
    static unsigned char buffer[262144];
    if (c->phase == CONNECTING) {
        if (events & (EPOLLERR | EPOLLHUP)) { failures_connect++; finish(c); return; }
        if (write(c->fd, request[c->port], request_length[c->port]) != (ssize_t)request_length[c->port]) {
            failures_connect++;
            finish(c);
            return;
        }
        c->phase = UPGRADING;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &e);
        return;
    }
    ssize_t got = read(c->fd, buffer, sizeof buffer);
    if (got < 0 && errno == EAGAIN) return;
    if (got <= 0) {
        if (!c->answered) failures_closed++;
        finish(c);
        return;
    }
    bytes_read += got;
    if (c->http) upgrade_answer(c, buffer, (size_t)got);
    else feed(c, buffer, (size_t)got);
}

static void print_histogram(const char *name, const struct histogram *h) {
    printf("\"%s\": [", name);
    int first = 1;
    for (long i = 0; i < BINS; i++) {
        if (!h->bins[i]) continue;
        printf("%s[%ld, %u]", first ? "" : ", ", i, h->bins[i]);
        first = 0;
    }
    printf("]");
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: swarm SPACE LISTENERS RATE SECONDS PORTS [sources...]\n");
        return 2;
    }
    space = argv[1];
    long listeners = atol(argv[2]);
    double rate = atof(argv[3]);
    double seconds = atof(argv[4]);
    for (char *p = strtok(argv[5], ","); p && port_count < MAX_PORTS; p = strtok(NULL, ",")) ports[port_count++] = atoi(p);
    sources = argc - 6;
    source = argv + 6;
    if (strlen(space) > 64) {
        fprintf(stderr, "swarm: a Space id of at most 64 characters\n");
        return 2;
    }
    /* As many files as this process may have (the machine's cap: 20,000). */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    for (int i = 0; i < port_count; i++) {
        request_length[i] = snprintf(request[i], sizeof request[i],
                                     "GET /v1/spaces/%s/listen HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                     "Sec-WebSocket-Version: 13\r\n\r\n",
                                     space, ports[i]);
    }
    epoll_fd = epoll_create1(0);
    /* SWARM_WAIT=1: sleep in epoll_wait as an ordinary client does (wakeups.sh compares both). */
    int waits = getenv("SWARM_WAIT") && strcmp(getenv("SWARM_WAIT"), "1") == 0;
    struct connection **all = calloc(listeners, sizeof *all);
    double t0 = now(), c0 = cpu(), next_report = t0 + 5, next_sweep = t0 + 1;
    long unanswered_from = 0; /* every listener before this one has had its answer or is closed */
    long long last_frames = 0, last_lost = 0;
    while (now() - t0 < seconds) {
        double t = now();
        long due = (long)((t - t0) * rate) + 1;
        while (started_count < listeners && started_count < due) {
            long i = started_count;
            all[i] = start(i);
        }
        struct epoll_event events[1024];
        /* Polled, never waited on: a process asleep in epoll_wait is woken by every write the
         * node makes to it, and on loopback the node pays for that wake-up inside its write(2)
         * (sock_def_readable: 13 % of a node's CPU in perf). Clients on other machines cost the
         * node no such thing; a swarm that sleeps 1 ms between empty polls costs it nothing either. */
        int n = epoll_wait(epoll_fd, events, 1024, waits ? 2 : 0);
        for (int i = 0; i < n; i++) ready(events[i].data.ptr, events[i].events);
        if (n == 0 && !waits) usleep(1000);
        /* Every listener started has its outcome (in, refused or failed) and nobody waits. */
        if (steady_from == 0 && started_count == listeners && waiting_now == 0 &&
            answered_count + failures_timeout + failures_connect + failures_closed >= started_count)
            steady_from = t + 5;
        if (t >= next_sweep) {
            /* Handshakes unanswered for ANSWER_TIMEOUT seconds fail. */
            for (long i = unanswered_from; i < started_count; i++) {
                struct connection *c = all[i];
                if (c->phase == CLOSED || c->answered) {
                    if (i == unanswered_from) unanswered_from++;
                    continue;
                }
                if (t - c->started < ANSWER_TIMEOUT) break;
                failures_timeout++;
                finish(c);
            }
            next_sweep = t + 1;
        }
        if (t >= next_report) {
            fprintf(stderr, "t=%.0fs started %ld answered %ld waiting %ld admitted %ld frames/s %.0f lost %lld p99 %ld ms\n",
                    t - t0, started_count, answered_count, waiting_now, admitted_now, (frames - last_frames) / 5.0,
                    lost - last_lost, percentile(&interval_h, 0.99));
            memset(&interval_h, 0, sizeof interval_h);
            last_frames = frames;
            last_lost = lost;
            next_report = t + 5;
        }
    }
    double used = cpu() - c0, elapsed = now() - t0;
    printf("{\"started\": %ld, \"answered\": %ld, \"welcomes\": %ld, \"waitingAnswers\": %ld, \"refusedMessages\": %ld, "
           "\"endedMessages\": %ld, \"admittedAtEnd\": %ld, \"waitingAtEnd\": %ld, \"failures\": {\"connectTimeout\": %ld, "
           "\"connect\": %ld, \"closedBeforeAnswer\": %ld}, \"frames\": %lld, \"lost\": %lld, \"gaps\": %lld, "
           "\"outOfOrder\": %ld, \"batches\": %lld, \"bytes\": %lld, \"seconds\": %.3f, \"cpuSeconds\": %.3f, ",
           started_count, answered_count, welcome_count, waiting_answers, refused_messages, ended_messages, admitted_now,
           waiting_now, failures_timeout, failures_connect, failures_closed, frames, lost, gaps, out_of_order, batches,
           bytes_read, elapsed, used);
    printf("\"http\": {");
    int first = 1;
    for (int s = 0; s < 600; s++) {
        if (!http_status[s]) continue;
        printf("%s\"%d\": %ld", first ? "" : ", ", s, http_status[s]);
        first = 0;
    }
    printf("}, \"closes\": {");
    first = 1;
    for (int s = 0; s < 5000; s++) {
        if (!close_codes[s]) continue;
        printf("%s\"%d\": %ld", first ? "" : ", ", s, close_codes[s]);
        first = 0;
    }
    printf("}, \"nodes\": [");
    for (int i = 0; i < port_count; i++) {
        printf("%s{\"port\": %d, \"admitted\": %ld, \"atEnd\": %ld, \"frames\": %lld, \"lost\": %lld, ", i ? ", " : "",
               ports[i], port_admitted[i], port_now[i], port_frames[i], port_lost[i]);
        print_histogram("audio", &port_h[i]);
        printf("}");
    }
    printf("], ");
    print_histogram("answer", &answer_h);
    printf(", ");
    print_histogram("welcome", &welcome_h);
    printf(", ");
    print_histogram("waited", &waited_h);
    printf(", ");
    print_histogram("audio", &audio_h);
    printf(", \"steadySeconds\": %.3f, \"steadyLost\": %lld, \"steadyFromSeconds\": %.3f, ",
           steady_from > 0 ? elapsed - (steady_from - t0) : 0.0, steady_lost, steady_from > 0 ? steady_from - t0 : -1.0);
    print_histogram("steadyAudio", &steady_h);
    printf("}\n");
    return 0;
}
