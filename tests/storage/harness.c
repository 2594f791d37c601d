/* minnow: storage test harness.  See harness.h. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "storage.h"
#include "harness.h"

int tap_count, tap_failed;

void
tap_ok (int cond, const char *fmt, ...)
{
  va_list ap;

  tap_count++;
  if (!cond)
    tap_failed++;
  printf ("%sok %d - ", cond ? "" : "not ", tap_count);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

void
tap_diag (const char *fmt, ...)
{
  va_list ap;

  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
}

void
is_int (int64_t got, int64_t expected, const char *fmt, ...)
{
  va_list ap;
  char msg[1024];

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  tap_ok (got == expected, "%s", msg);
  if (got != expected) {
    printf ("# expected: %" PRIi64 "\n# got: %" PRIi64, expected, got);
    if (got < 0 && got > -200)
      printf (" (%s)", strerror ((int) -got));
    putchar ('\n');
  }
}

void
is_str (const char *got, const char *expected, const char *fmt, ...)
{
  va_list ap;
  char msg[1024];
  int same = got && expected ? strcmp (got, expected) == 0 : got == expected;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  tap_ok (same, "%s", msg);
  if (!same)
    printf ("# expected: \"%s\"\n# got: \"%s\"\n",
            expected ? expected : "(null)", got ? got : "(null)");
}

int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

static char scratch[256];

static void
remove_scratch (void)
{
  const char *argv[] = { "rm", "-rf", scratch, NULL };

  if (scratch[0] && getenv ("MINNOW_KEEP_SCRATCH") == NULL)
    harness_run (argv, NULL);
}

const char *
scratch_dir (void)
{
  if (scratch[0] == '\0') {
    const char *tmp = getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
    snprintf (scratch, sizeof scratch, "%s/minnow-storage-XXXXXX", tmp);
    if (mkdtemp (scratch) == NULL) {
      perror ("mkdtemp");
      exit (99);
    }
    atexit (remove_scratch);
  }
  return scratch;
}

struct drive {
  int fd;
  uint64_t size;
  int readonly;
};
static struct drive drives[26];
static size_t ndrives;

int
harness_add_drive (const char *path, uint64_t size, int readonly)
{
  int fd;
  off_t end;

  if (size > 0) {
    fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1 || ftruncate (fd, size) == -1) {
      perror (path);
      exit (99);
    }
    if (readonly) {
      close (fd);
      fd = -1;
    }
  }
  fd = open (path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd == -1) {
    perror (path);
    exit (99);
  }
  end = lseek (fd, 0, SEEK_END);
  drives[ndrives].fd = fd;
  drives[ndrives].size = end;
  drives[ndrives].readonly = readonly;
  return (int) ndrives++;
}

void
harness_close_drives (void)
{
  size_t i;

  for (i = 0; i < ndrives; i++)
    close (drives[i].fd);
  ndrives = 0;
}

size_t
storage_drive_count (void)
{
  return ndrives;
}

int
storage_drive_range (size_t index, struct engine_range *r)
{
  if (index >= ndrives)
    return -ENOENT;
  r->fd = drives[index].fd;
  r->offset = 0;
  r->length = drives[index].size;
  r->readonly = drives[index].readonly;
  return 0;
}

int
harness_run (const char *const *argv, char **out)
{
  struct command *cmd = command_new_argv (argv);
  char *buf = NULL;
  size_t len;
  int status;

  command_set_output_buffer (cmd, &buf, &len);
  command_set_error_buffer (cmd, &buf, &len);
  if (command_run (cmd, &status) == -1) {
    tap_diag ("%s: %s", argv[0], command_get_error (cmd));
    status = -1;
  }
  command_free (cmd);
  if (out)
    *out = buf;
  else
    free (buf);
  return status;
}

const char *
file_digest (const char *path)
{
  static char hex[65];
  const char *argv[] = { "sha256sum", path, NULL };
  char *out = NULL;

  hex[0] = '\0';
  if (harness_run (argv, &out) == 0 && out && strlen (out) >= 64) {
    memcpy (hex, out, 64);
    hex[64] = '\0';
  }
  free (out);
  return hex;
}
