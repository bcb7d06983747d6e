/* The cost of one small send over loopback on this machine, with nothing of ours in the way: N TCP connections on
 * 127.0.0.1, a sender thread that writes one 120-byte message to each of them in turn (a pass, as a room broadcast
 * does), and a reader thread that reads them all through epoll, either waiting in epoll_wait (as a real client does)
 * or spinning on it. Over loopback the sender's send() also runs the receiver's TCP receive and wakes its reader, so
 * this is the least a pass over N sockets can cost here, whatever the server is written in.
 * Usage: loopback_floor connections wait|spin sender-cpu reader-cpu [passes=20] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int connections, spin, reader_cpu;
static int *server_ends, *client_ends;
static volatile int stopping;

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

static void *read_all(void *unused) {
  (void)unused;
  pin(reader_cpu);
  int epoll = epoll_create1(0);
  for (int i = 0; i < connections; i++) {
    struct epoll_event registration = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(epoll, EPOLL_CTL_ADD, client_ends[i], &registration);
  }
  struct epoll_event ready[1024];
  static char buffer[65536];
  while (!stopping) {
    int count = epoll_wait(epoll, ready, 1024, spin ? 0 : 100);
    for (int i = 0; i < count; i++) recv(client_ends[ready[i].data.u32], buffer, sizeof buffer, MSG_DONTWAIT);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s connections wait|spin sender-cpu reader-cpu [passes]\n", argv[0]);
    return 2;
  }
  connections = atoi(argv[1]);
  spin = strcmp(argv[2], "spin") == 0;
  int sender_cpu = atoi(argv[3]);
  reader_cpu = atoi(argv[4]);
  int passes = argc > 5 ? atoi(argv[5]) : 20;
  server_ends = calloc(connections, sizeof *server_ends);
  client_ends = calloc(connections, sizeof *client_ends);

  int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 4096) ||
      getsockname(listener, (struct sockaddr *)&address, &length)) {
    perror("listen");
    return 1;
  }
  for (int i = 0; i < connections; i++) {
    /* 127.0.x.y source addresses, as the chat bench's clients use, so ephemeral ports never run out */
    struct sockaddr_in source = {.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(0x7f000000 | ((i / 250) << 8) | (2 + i % 250))};
    client_ends[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (client_ends[i] < 0 || bind(client_ends[i], (struct sockaddr *)&source, sizeof source) ||
        connect(client_ends[i], (struct sockaddr *)&address, sizeof address) ||
        (server_ends[i] = accept(listener, NULL, NULL)) < 0) {
      fprintf(stderr, "connection %d: ", i);
      perror("");
      return 1;
    }
    setsockopt(server_ends[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

  pthread_t reader;
  pthread_create(&reader, NULL, read_all, NULL);
  pin(sender_cpu);
  usleep(200000);
  char message[120];
  memset(message, 'x', sizeof message);
  double total = 0, best = 1e9;
  for (int pass = 0; pass < passes; pass++) {
    double started = seconds();
    for (int i = 0; i < connections; i++) send(server_ends[i], message, sizeof message, MSG_DONTWAIT);
    double took = seconds() - started;
    if (pass >= 2) total += took; /* the first passes warm the caches and the reader up */
    if (took < best) best = took;
    usleep(100000);
  }
  stopping = 1;
  pthread_join(reader, NULL);
  double mean = total / (passes - 2);
  printf("loopback floor, reader %s: %d connections, pass mean %.1f ms, best %.1f ms: %.2f us per send "
         "(a pass over 15000 connections: %.0f ms)\n",
         spin ? "spinning" : "waiting in epoll", connections, mean * 1e3, best * 1e3, mean * 1e6 / connections,
         mean * 15000 * 1e3 / connections);
  return 0;
}
