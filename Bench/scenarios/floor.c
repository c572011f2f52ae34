/*
 * The floor for the steady scenario: the least CPU a process can spend writing the same
 * messages to the same number of loopback sockets. The parent (pin it to the node's core)
 * accepts N connections from a child (pinned to the other core) that reads and discards (polling,
 * like the swarm that reads the node), then
 * writes one SIZE-byte message to every socket, RATE rounds per second, for SECONDS seconds,
 * with plain write(2) and nothing else. It prints its CPU time per write.
 *
 * usage: floor N SIZE RATE SECONDS [source addresses...]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static void pin(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static void reader(int n, int port, int sources, char **source) {
    pin(1);
    int epoll = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in local = {.sin_family = AF_INET};
        inet_pton(AF_INET, sources ? source[i % sources] : "127.0.0.1", &local.sin_addr);
        bind(fd, (struct sockaddr *)&local, sizeof local);
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("connect"); exit(1); }
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &e);
    }
    static char sink[65536];
    struct epoll_event events[256];
    /* Polled with 1 ms sleeps, as the swarm reading the node does: a reader asleep in
     * epoll_wait makes the writer pay for waking it inside write(2), on loopback only. */
    for (;;) {
        int ready = epoll_wait(epoll, events, 256, 0);
        for (int i = 0; i < ready; i++) {
            ssize_t got = read(events[i].data.fd, sink, sizeof sink);
            if (got == 0) { close(events[i].data.fd); }
        }
        if (ready == 0) usleep(1000);
    }
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: floor N SIZE RATE SECONDS [sources...]\n"); return 2; }
    int n = atoi(argv[1]), size = atoi(argv[2]);
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0) { perror("listen"); return 1; }
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    pid_t child = fork();
    if (child == 0) { reader(n, ntohs(address.sin_port), argc - 5, argv + 5); return 0; }
    pin(0);
    int *fds = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        fds[i] = accept(listener, NULL, NULL);
        if (fds[i] < 0) { perror("accept"); return 1; }
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    char *message = malloc(size);
    memset(message, 0x42, size);
    double start = now(), cpu0 = cpu();
    long writes = 0, failed = 0;
    for (long round = 0;; round++) {
        double due = start + round / rate;
        if (due - start >= seconds) break;
        double wait = due - now();
        if (wait > 0) { struct timespec t = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)}; nanosleep(&t, NULL); }
        for (int i = 0; i < n; i++) {
            if (write(fds[i], message, size) == size) writes++; else failed++;
        }
    }
    double used = cpu() - cpu0, wall = now() - start;
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    printf("{\"writes\": %ld, \"failed\": %ld, \"cpuSeconds\": %.3f, \"wallSeconds\": %.3f, \"cpuMicrosPerWrite\": %.3f}\n",
           writes, failed, used, wall, writes ? used * 1e6 / writes : 0);
    return 0;
}
