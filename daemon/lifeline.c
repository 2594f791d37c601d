/* minnowd: the daemon's life is tied to its client's.
 *
 * A thread watches the connection's socket for the client hanging up
 * (it died, or closed the handle) while a call is running.  It then
 * raises a flag that every long loop reads (should_stop), so the
 * call stops with EINTR, the main loop reads the end of the stream and
 * the daemon unmounts, flushes and exits as after a normal close.  When
 * the daemon serves only this client (local backend) and the call has
 * not come back to the main loop after a grace period, it exits at once:
 * a loop that never looks at the flag must not keep an orphan alive.
 * The filesystem is then marked not clean on the image (see the ext
 * engine's mark_in_use), so nothing pretends the lost writes happened.
 *
 * The same thread carries the user's cancel (minnow_user_cancel) of a
 * call that is not a transfer.  The library that started us sends
 * SIGUSR1 with the serial of the call to stop (sigqueue); the signal is
 * blocked in every thread from the start of main and read here through
 * a signalfd, so it never interrupts a system call of the main thread.
 * should_stop says stop while the call being served
 * (lifeline_call_begin) is the one named: a late signal cannot stop the
 * next call, and one that overtook its call's message still stops it.
 * A plain SIGUSR1 (kill, no serial) stops the current call.  Child
 * programs (mke2fs, e2fsck, …) are killed by the spawning core, which
 * asks should_stop while it waits for them.  A reply with an
 * error during a cancelled call says the call was cancelled (EINTR),
 * whatever step noticed it.  A --listen daemon gets the same signal from
 * a client of the same user (the library finds our pid with
 * SO_PEERCRED); signals left from an earlier client are drained when a
 * connection starts and ends. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "command.h"

#include "daemon.h"
#include "storage.h"

/* How long a call may go on after its client hung up. */
#define GRACE_MS 10000

static pthread_t thread;
static int running;
static int stop_pipe[2] = { -1, -1 };
static int watched = -1;
static int exit_when_stuck;
static volatile int client_hung_up;
/* (1 << 32) | serial: the call being served, and the call the user
 * cancelled; 0 for none. */
static volatile uint64_t call_key, cancel_key;
static int cancel_fd = -1;

static int
should_stop (void)
{
  return __atomic_load_n (&client_hung_up, __ATOMIC_RELAXED) ||
    lifeline_cancelled ();
}

int
lifeline_cancelled (void)
{
  uint64_t c = __atomic_load_n (&cancel_key, __ATOMIC_ACQUIRE);

  return c != 0 && c == __atomic_load_n (&call_key, __ATOMIC_ACQUIRE);
}

void
lifeline_call_begin (unsigned serial)
{
  __atomic_store_n (&call_key, (1ULL << 32) | serial, __ATOMIC_RELEASE);
}

/* Signals left from an earlier connection. */
static void
drain_cancels (void)
{
  struct signalfd_siginfo si;

  while (cancel_fd >= 0 && read (cancel_fd, &si, sizeof si) > 0)
    ;
  __atomic_store_n (&cancel_key, 0, __ATOMIC_RELEASE);
  __atomic_store_n (&call_key, 0, __ATOMIC_RELEASE);
}

void
lifeline_init_cancel (void)
{
  sigset_t usr1;

  sigemptyset (&usr1);
  sigaddset (&usr1, SIGUSR1);
  if (sigprocmask (SIG_BLOCK, &usr1, NULL) == -1) {
    perror ("minnowd: sigprocmask");
    return;
  }
  cancel_fd = signalfd (-1, &usr1, SFD_CLOEXEC | SFD_NONBLOCK);
  if (cancel_fd == -1)
    perror ("minnowd: signalfd (calls cannot be cancelled)");
  command_set_interrupt_check (should_stop);
  storage_set_stop_check (should_stop);
}

/* Reads the pending SIGUSR1s: the user cancelled the call. */
static void
read_cancel (void)
{
  struct signalfd_siginfo si;

  while (read (cancel_fd, &si, sizeof si) == (ssize_t) sizeof si) {
    uint64_t key = si.ssi_code == SI_QUEUE
      ? (1ULL << 32) | (uint32_t) si.ssi_int
      : __atomic_load_n (&call_key, __ATOMIC_ACQUIRE);

    __atomic_store_n (&cancel_key, key, __ATOMIC_RELEASE);
    if (verbose)
      fprintf (stderr, "minnowd: the user cancelled call %u\n",
               (unsigned) (key & 0xffffffff));
  }
}

static void *
watch (void *arg)
{
  struct pollfd pfd[3] = {
    { .fd = watched, .events = POLLRDHUP },
    { .fd = stop_pipe[0], .events = POLLIN },
    { .fd = cancel_fd, .events = POLLIN },
  };

  (void) arg;
  for (;;) {
    int r = poll (pfd, 3, -1);

    if (r == -1 && errno == EINTR)
      continue;
    if (r == -1 || pfd[1].revents)
      return NULL;
    if (pfd[2].revents)
      read_cancel ();
    if (pfd[0].revents & (POLLRDHUP | POLLHUP | POLLERR))
      break;
  }
  __atomic_store_n (&client_hung_up, 1, __ATOMIC_RELAXED);
  if (verbose)
    fprintf (stderr, "minnowd: the client hung up; stopping the call\n");
  if (!exit_when_stuck)
    return NULL;
  pfd[0].fd = -1;
  while (poll (&pfd[1], 1, GRACE_MS) == -1 && errno == EINTR)
    ;
  if (pfd[1].revents)
    return NULL;
  fprintf (stderr, "minnowd: the client is gone and the call did not "
           "stop within %d ms: exiting\n", GRACE_MS);
  _exit (EXIT_FAILURE);
}

void
lifeline_start (int sock, int exit_if_stuck)
{
  sigset_t all, old;

  __atomic_store_n (&client_hung_up, 0, __ATOMIC_RELAXED);
  drain_cancels ();
  if (pipe2 (stop_pipe, O_CLOEXEC) == -1) {
    perror ("minnowd: lifeline: pipe2");
    return;
  }
  watched = sock;
  exit_when_stuck = exit_if_stuck;
  /* Signals stay with the main thread. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  running = pthread_create (&thread, NULL, watch, NULL) == 0;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (!running) {
    perror ("minnowd: lifeline: pthread_create");
    close (stop_pipe[0]);
    close (stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
  }
}

void
lifeline_stop (void)
{
  if (running) {
    char c = 0;

    if (write (stop_pipe[1], &c, 1) != 1)
      perror ("minnowd: lifeline: write");
    pthread_join (thread, NULL);
    running = 0;
    close (stop_pipe[0]);
    close (stop_pipe[1]);
    stop_pipe[0] = stop_pipe[1] = -1;
  }
  __atomic_store_n (&client_hung_up, 0, __ATOMIC_RELAXED);
  drain_cancels ();
}
