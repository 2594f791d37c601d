/* minnow: checksum of a file, computed by coreutils (md5sum, sha*sum,
 * cksum) fed the file's bytes through a pipe by the command core: the
 * file is read inside the image, never from the host. */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "storage-actions.h"
#include "actions.h"

static const char *
program_for (const char *csumtype)
{
  static const char *const table[][2] = {
    { "crc", "cksum" }, { "md5", "md5sum" }, { "sha1", "sha1sum" },
    { "sha224", "sha224sum" }, { "sha256", "sha256sum" },
    { "sha384", "sha384sum" }, { "sha512", "sha512sum" },
  };
  size_t i;

  for (i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp (csumtype, table[i][0]) == 0)
      return table[i][1];
  return NULL;
}

static int
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write (fd, buf, len);
    if (n == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    buf += n;
    len -= n;
  }
  return 0;
}

/* Reads the next piece of the input into buf (at most len bytes):
 * returns the count, 0 at the end, or a negative errno. */
typedef ssize_t (*reader) (void *opaque, char *buf, size_t len,
                           uint64_t off);

/* Feeds everything read to the checksum tool for csumtype; the first
 * word of its output.  what names the input in errors.  Replies on
 * failure. */
static char *
checksum_stream (const char *csumtype, const char *what, reader read_fn,
                 void *opaque)
{
  const char *prog = program_for (csumtype);
  struct command *cmd;
  char *out = NULL, *buf, *ret;
  size_t outlen;
  int fd = -1, status;
  uint64_t off = 0;
  ssize_t n = 0;

  if (prog == NULL) {
    reply_with_error_errno (EINVAL, "%s: unknown checksum type (crc, md5, "
                            "sha1, sha224, sha256, sha384, sha512)",
                            csumtype);
    return NULL;
  }
  buf = malloc (1 << 20);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  cmd = command_new (prog);
  command_set_input_pipe (cmd, &fd);
  command_set_output_buffer (cmd, &out, &outlen);
  command_add_env_pair (cmd, "LC_ALL", "C");
  command_add_env_pass (cmd, "PATH");
  if (command_run_async (cmd, NULL) == -1) {
    reply_with_error_errno (EIO, "%s: %s", prog, command_get_error (cmd));
    command_free (cmd);
    free (buf);
    return NULL;
  }
  /* A checksum tool reads everything and prints one line at the end:
   * writing the whole input before reading its output cannot block. */
  {
    sigset_t set, old;
    sigemptyset (&set);
    sigaddset (&set, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &set, &old);
    while ((n = read_fn (opaque, buf, 1 << 20, off)) > 0) {
      if (storage_stop_requested ()) {
        n = -EINTR;
        break;
      }
      if (write_all (fd, buf, n) == -1) {
        n = -errno;
        break;
      }
      off += n;
    }
    close (fd);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
  }
  free (buf);
  if (command_wait (cmd, &status) == -1 || status != 0 || n < 0) {
    if (n < 0)
      reply_errno_path ((int) n, what);
    else
      reply_with_error_errno (EIO, "%s: %s failed", what, prog);
    command_free (cmd);
    free (out);
    return NULL;
  }
  command_free (cmd);
  /* "HASH  -" or, for cksum, "CRC SIZE": the first word. */
  ret = out ? strndup (out, strcspn (out, " \t\n")) : NULL;
  free (out);
  if (ret == NULL)
    reply_with_perror ("checksum");
  return ret;
}

static ssize_t
read_file (void *opaque, char *buf, size_t len, uint64_t off)
{
  return fsop_pread (opaque, buf, len, (int64_t) off);
}

char *
do_checksum (const char *csumtype, const char *path)
{
  struct engine_stat st;
  int r;

  if (program_for (csumtype) == NULL)
    return checksum_stream (csumtype, path, read_file, NULL);
  r = fsop_stat (path, 0, &st);
  if (r == 0 && !S_ISREG (st.mode))
    r = S_ISDIR (st.mode) ? -EISDIR : -EINVAL;
  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  return checksum_stream (csumtype, path, read_file, (void *) path);
}

static ssize_t
read_range (void *opaque, char *buf, size_t len, uint64_t off)
{
  const struct engine_range *range = opaque;
  ssize_t n;

  if (off >= range->length)
    return 0;
  if (len > range->length - off)
    len = range->length - off;
  do
    n = pread (range->fd, buf, len, range->offset + off);
  while (n == -1 && errno == EINTR);
  return n == -1 ? -errno : n;
}

char *
do_checksum_device (const char *csumtype, const char *device)
{
  struct engine_range range;
  char *msg = NULL;
  int r;

  r = storage_device_range (device, &range, &msg);
  if (r < 0) {
    reply_errno_msg (r, device, msg);
    return NULL;
  }
  free (msg);
  /* A mounted filesystem's changes are in the daemon's cache. */
  if (device_in_use (device) && storage_sync_all () < 0) {
    reply_with_perror ("%s: sync", device);
    return NULL;
  }
  return checksum_stream (csumtype, device, read_range, &range);
}
