/* One handle shared by several threads: calls serialize on the handle's
 * lock and every caller gets its own answer and its own last error.
 *
 * Eight threads hammer one launched handle with mixed calls (writes and
 * reads of their own files, echo calls whose answer names the caller,
 * failing calls whose error names the caller, uploads and downloads)
 * while another thread calls user_cancel now and then (a cancelled call
 * fails with EINTR; a wrong answer or another thread's error never).  Then: an event
 * callback that calls back into the handle from the thread that runs it
 * (the lock is recursive), and close from another thread while a call is
 * running (close waits for it).  Finally the filesystem must be
 * e2fsck-clean. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minnow.h"
#include "tap.h"

#define NR_THREADS 8

static int iterations = 60;
static char tmpdir[] = "/tmp/minnow-test-threadsXXXXXX";
static minnow_h *g;

struct worker {
  pthread_t thread;
  int id;
  int failures;                 /* mixed-up or wrong answers */
  int calls;
  int cancelled;                /* calls stopped by user_cancel */
  char first_failure[512];
};

static void
quiet (minnow_h *h, void *opaque, const char *msg)
{
  if (getenv ("VERBOSE"))
    fprintf (stderr, "(error: %s)\n", msg);
}

static void fail (struct worker *w, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

static void
fail (struct worker *w, const char *fs, ...)
{
  va_list ap;

  w->failures++;
  if (w->first_failure[0] == '\0') {
    va_start (ap, fs);
    vsnprintf (w->first_failure, sizeof w->first_failure, fs, ap);
    va_end (ap);
  }
}

/* user_cancel from the other thread stops whatever call is running
 * (EINTR, "cancelled"): allowed, and counted; any other error is not. */
static int
cancelled (struct worker *w)
{
  if (minnow_last_errno (g) != EINTR)
    return 0;
  w->cancelled++;
  return 1;
}

/* Writes a host file with this content. */
static int
write_host (const char *path, const char *content, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd == -1)
    return -1;
  if (write (fd, content, len) != (ssize_t) len) {
    close (fd);
    return -1;
  }
  return close (fd);
}

static char *
read_host (const char *path, size_t *len_r)
{
  FILE *fp = fopen (path, "re");
  char *buf;
  size_t n;

  if (fp == NULL)
    return NULL;
  buf = calloc (1, 1 << 20);
  n = fread (buf, 1, (1 << 20) - 1, fp);
  fclose (fp);
  *len_r = n;
  return buf;
}

static void *
work (void *opaque)
{
  struct worker *w = opaque;
  char dir[64], path[128], content[2048], missing[128], echo[64];
  char host_in[256], host_out[256];
  int i;

  /* The handle's error handler is per thread: silence it here too. */
  minnow_set_error_handler (g, quiet, NULL);
  snprintf (dir, sizeof dir, "/t%d", w->id);
  if (minnow_mkdir (g, dir) == -1) {
    fail (w, "mkdir: %s", minnow_last_error (g));
    return NULL;
  }
  snprintf (host_in, sizeof host_in, "%s/in%d", tmpdir, w->id);
  snprintf (host_out, sizeof host_out, "%s/out%d", tmpdir, w->id);

  for (i = 0; i < iterations; i++) {
    size_t len, got_len;
    char *got;
    int r, k;

    /* A write and a read of the thread's own file: the content names
     * the thread and the iteration, and its length varies. */
    snprintf (path, sizeof path, "%s/f%d", dir, i % 7);
    len = (size_t) snprintf (content, sizeof content, "thread %d iteration %d ",
                             w->id, i);
    for (k = 0; k < (i * 37 + w->id * 11) % 1500; k++)
      content[len++] = 'a' + (char) ((k + w->id) % 26);
    content[len] = '\0';
    w->calls += 2;
    if (minnow_write (g, path, content, len) == -1) {
      if (!cancelled (w))
        fail (w, "write: %s", minnow_last_error (g));
    }
    else {
      got = minnow_read_file (g, path, &got_len);
      if (got == NULL) {
        if (!cancelled (w))
          fail (w, "read_file: %s", minnow_last_error (g));
      }
      else if (got_len != len || memcmp (got, content, len) != 0)
        fail (w, "read_file gave another content: %.60s", got);
      free (got);
    }

    /* An echo: the answer must be this thread's. */
    snprintf (echo, sizeof echo, "echo from %d/%d", w->id, i);
    w->calls++;
    got = minnow_internal_test_daemon_rstring (g, echo);
    if (got == NULL ? !cancelled (w) : strcmp (got, echo) != 0)
      fail (w, "echo answered %s", got ? got : minnow_last_error (g));
    free (got);

    /* A failing call: the last error is this thread's own. */
    snprintf (missing, sizeof missing, "%s/missing-%d", dir, i);
    w->calls++;
    got = minnow_cat (g, missing);
    if (got != NULL)
      fail (w, "cat of a missing file succeeded: %s", got);
    else if (minnow_last_errno (g) == EINTR)
      w->cancelled++;
    else if (minnow_last_errno (g) != ENOENT)
      fail (w, "cat: wrong errno: %s", minnow_last_error (g));
    else if (minnow_last_error (g) == NULL ||
             strstr (minnow_last_error (g), missing) == NULL)
      fail (w, "cat: the error is another thread's: %s",
            minnow_last_error (g));
    free (got);

    /* Every fourth round, a transfer each way.  user_cancel from the
     * other thread may stop one (EINTR): that is allowed, a mix-up is
     * not. */
    if (i % 4 == 0) {
      w->calls += 2;
      if (write_host (host_in, content, len) == -1) {
        fail (w, "cannot write host file %s", host_in);
        continue;
      }
      snprintf (path, sizeof path, "%s/up", dir);
      r = minnow_upload (g, host_in, path);
      if (r == -1) {
        if (!cancelled (w))
          fail (w, "upload: %s", minnow_last_error (g));
        continue;
      }
      r = minnow_download (g, path, host_out);
      if (r == -1) {
        if (!cancelled (w))
          fail (w, "download: %s", minnow_last_error (g));
        continue;
      }
      got = read_host (host_out, &got_len);
      if (got == NULL || got_len != len || memcmp (got, content, len) != 0)
        fail (w, "download gave another content: %.60s", got);
      free (got);
    }
  }
  unlink (host_in);
  unlink (host_out);
  return NULL;
}

static int stop_cancelling;

static void *
canceller (void *opaque)
{
  int *count = opaque;

  while (!__atomic_load_n (&stop_cancelling, __ATOMIC_SEQ_CST)) {
    minnow_user_cancel (g);
    ++*count;
    usleep (7000);
  }
  return NULL;
}

/* ENTER fires inside every call, with the lock held: calling back into
 * the handle from here must not deadlock. */
static __thread int in_enter;
static int reentered;

static void
enter_cb (minnow_h *h, void *opaque, uint64_t event, int eh, int flags,
          const char *buf, size_t buf_len, const uint64_t *array,
          size_t array_len)
{
  if (in_enter)
    return;
  in_enter = 1;
  if (minnow_get_verbose (h) != -1 && minnow_get_trace (h) != -1)
    reentered++;
  in_enter = 0;
}

struct sleeper {
  pthread_t thread;
  int result;
  pthread_t me;                 /* set by the sleeper itself */
  volatile int entered;         /* its call is inside the handle */
};

static void
sleeper_enter_cb (minnow_h *h, void *opaque, uint64_t event, int eh,
                  int flags, const char *buf, size_t buf_len,
                  const uint64_t *array, size_t array_len)
{
  struct sleeper *s = opaque;

  if (pthread_equal (pthread_self (), s->me))
    __atomic_store_n (&s->entered, 1, __ATOMIC_SEQ_CST);
}

static void *
sleep_call (void *opaque)
{
  struct sleeper *s = opaque;

  s->me = pthread_self ();
  minnow_set_error_handler (g, quiet, NULL);
  s->result = minnow_internal_test_sleep (g, 400);
  return NULL;
}

int
main (int argc, char **argv)
{
  struct worker workers[NR_THREADS];
  pthread_t cancel_thread;
  struct sleeper sl;
  int i, total_calls = 0, total_failures = 0, cancels = 0, cancelled = 0;
  int eh;
  char *out;

  tap_plan (1 + NR_THREADS + 3 + 3 + 1);
  if (getenv ("MINNOW_TEST_THREADS_ITERATIONS"))
    iterations = atoi (getenv ("MINNOW_TEST_THREADS_ITERATIONS"));
  if (mkdtemp (tmpdir) == NULL) {
    perror ("mkdtemp");
    return 1;
  }

  g = minnow_create_flags (MINNOW_CREATE_NO_ENVIRONMENT);
  minnow_set_error_handler (g, quiet, NULL);
  if (minnow_add_drive_scratch (g, 128 << 20, -1) == -1 ||
      minnow_launch (g) == -1 ||
      minnow_mkfs (g, "ext4", "/dev/sda") == -1 ||
      minnow_mount (g, "/dev/sda", "/") == -1) {
    printf ("Bail out! cannot set up: %s\n", minnow_last_error (g));
    return 1;
  }

  /* 1. Eight threads and a canceller. */
  for (i = 0; i < NR_THREADS; i++) {
    memset (&workers[i], 0, sizeof workers[i]);
    workers[i].id = i;
    pthread_create (&workers[i].thread, NULL, work, &workers[i]);
  }
  pthread_create (&cancel_thread, NULL, canceller, &cancels);
  for (i = 0; i < NR_THREADS; i++) {
    pthread_join (workers[i].thread, NULL);
    total_calls += workers[i].calls;
    total_failures += workers[i].failures;
    cancelled += workers[i].cancelled;
    if (workers[i].failures)
      tap_diag ("thread %d: %d failures, first: %s", i, workers[i].failures,
                workers[i].first_failure);
  }
  __atomic_store_n (&stop_cancelling, 1, __ATOMIC_SEQ_CST);
  pthread_join (cancel_thread, NULL);
  tap_ok (total_failures == 0, "%d threads, %d calls: every answer and every "
          "error was the caller's own (%d failures)", NR_THREADS,
          total_calls, total_failures);
  tap_diag ("user_cancel called %d times; %d calls cancelled",
            cancels, cancelled);
  for (i = 0; i < NR_THREADS; i++) {
    char path[64];
    char **names;
    size_t n = 0;

    snprintf (path, sizeof path, "/t%d", i);
    names = minnow_ls (g, path);
    while (names && names[n]) {
      free (names[n]);
      n++;
    }
    free (names);
    if (!tap_ok (names != NULL && n >= 7, "thread %d's directory holds its "
                 "files (%zu entries)", i, n))
      break;
  }

  /* 2. A callback calls back into the handle from the same thread. */
  eh = minnow_set_event_callback (g, enter_cb, MINNOW_EVENT_ENTER, 0, NULL);
  tap_ok (eh >= 0, "ENTER callback registered");
  tap_is_int (minnow_internal_test_noop (g), 0,
              "a call whose ENTER callback calls back into the handle");
  tap_ok (reentered > 0, "the callback's calls ran (%d)", reentered);
  minnow_delete_event_callback (g, eh);

  /* 3. The filesystem is clean after all of it. */
  tap_is_int (minnow_umount_all (g), 0, "umount_all");
  tap_is_int (minnow_fsck (g, "ext4", "/dev/sda"), 0,
              "e2fsck -fn: the filesystem is clean");
  out = minnow_internal_test_daemon_rstring (g, "still here");
  tap_is_str (out, "still here", "the handle still answers");
  free (out);

  /* 4. close from another thread while a call runs: close waits for it,
   * and the running call gets its own reply. */
  sl.result = -2;
  sl.entered = 0;
  minnow_set_event_callback (g, sleeper_enter_cb, MINNOW_EVENT_ENTER, 0, &sl);
  pthread_create (&sl.thread, NULL, sleep_call, &sl);
  while (!__atomic_load_n (&sl.entered, __ATOMIC_SEQ_CST))
    usleep (1000);
  minnow_close (g);
  pthread_join (sl.thread, NULL);
  tap_is_int (sl.result, 0, "a call running when another thread closes "
              "the handle completes");

  rmdir (tmpdir);
  return tap_done ();
}
