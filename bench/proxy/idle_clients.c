/*
 * idle_clients: opens N PostgreSQL connections at once with libpq's non-blocking connect
 * (PQconnectStart / PQconnectPoll), takes every one through startup and authentication to its
 * first ReadyForQuery, then holds them all idle until SIGTERM or SIGINT, and closes them with
 * Terminate.
 *
 *   idle_clients CONNINFO COUNT [TIMEOUT_SECONDS]
 *
 * Prints one line "ready ok=<n> failed=<n> seconds=<s>" once every connection is settled, then
 * waits. Exit status: 0 when every connection completed, 1 when any failed, 2 on bad usage.
 * Built by bench/proxy/run.sh with: cc -O2 -I$(pg_config --includedir) idle_clients.c -lpq
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

enum { CONNECTING = 0, READY = 1, FAILED = 2 };

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signo) {
  (void)signo;
  stop_requested = 1;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s CONNINFO COUNT [TIMEOUT_SECONDS]\n", argv[0]);
    return 2;
  }
  const char* conninfo = argv[1];
  const int count = atoi(argv[2]);
  const double timeout = argc > 3 ? atof(argv[3]) : 120.0;
  if (count <= 0) {
    fprintf(stderr, "idle_clients: COUNT must be positive\n");
    return 2;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  PGconn** conns = calloc((size_t)count, sizeof *conns);
  int* state = calloc((size_t)count, sizeof *state);
  PostgresPollingStatusType* want = calloc((size_t)count, sizeof *want);
  struct pollfd* fds = calloc((size_t)count, sizeof *fds);
  int* fd_owner = calloc((size_t)count, sizeof *fd_owner);
  if (!conns || !state || !want || !fds || !fd_owner) {
    fprintf(stderr, "idle_clients: out of memory\n");
    return 1;
  }

  const double started = now_seconds();
  int ok = 0, failed = 0, pending = 0;
  for (int i = 0; i < count; ++i) {
    conns[i] = PQconnectStart(conninfo);
    if (conns[i] == NULL || PQstatus(conns[i]) == CONNECTION_BAD) {
      if (failed == 0 && conns[i]) fprintf(stderr, "idle_clients: %s", PQerrorMessage(conns[i]));
      state[i] = FAILED;
      ++failed;
      continue;
    }
    state[i] = CONNECTING;
    want[i] = PGRES_POLLING_WRITING;
    ++pending;
  }

  while (pending > 0 && !stop_requested) {
    if (now_seconds() - started > timeout) {
      fprintf(stderr, "idle_clients: %d connections still pending after %.0f s\n", pending,
              timeout);
      break;
    }
    int m = 0;
    for (int i = 0; i < count; ++i) {
      if (state[i] != CONNECTING) continue;
      fds[m].fd = PQsocket(conns[i]);
      fds[m].events = want[i] == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      fds[m].revents = 0;
      fd_owner[m] = i;
      ++m;
    }
    const int rc = poll(fds, (nfds_t)m, 1000);
    if (rc < 0) {
      if (errno == EINTR) continue;
      perror("idle_clients: poll");
      break;
    }
    for (int k = 0; k < m; ++k) {
      if (fds[k].revents == 0) continue;
      const int i = fd_owner[k];
      const PostgresPollingStatusType st = PQconnectPoll(conns[i]);
      if (st == PGRES_POLLING_OK) {
        state[i] = READY;
        ++ok;
        --pending;
      } else if (st == PGRES_POLLING_FAILED) {
        if (failed == 0) fprintf(stderr, "idle_clients: %s", PQerrorMessage(conns[i]));
        state[i] = FAILED;
        ++failed;
        --pending;
      } else {
        want[i] = st;
      }
    }
  }
  failed += pending;  // whatever did not finish in time counts as failed

  printf("ready ok=%d failed=%d seconds=%.2f\n", ok, failed, now_seconds() - started);
  fflush(stdout);

  /* Idle: no query, no traffic, until told to stop (signals blocked between checks). */
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &previous);
  while (!stop_requested) sigsuspend(&previous);
  sigprocmask(SIG_SETMASK, &previous, NULL);

  for (int i = 0; i < count; ++i) {
    if (conns[i]) PQfinish(conns[i]);
  }
  free(fd_owner);
  free(fds);
  free(want);
  free(state);
  free(conns);
  return failed > 0 ? 1 : 0;
}
