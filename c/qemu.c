/* libminnow: qemu-img, for everything the library asks about images.
 *
 * Probing a format, reading an image's virtual size and backing file,
 * and creating non-raw images all run `qemu-img` (Debian's qemu-utils)
 * through the spawning core.  An image may be hostile: a crafted qcow2
 * can ask qemu-img for huge tables or long loops, so qemu-img runs with
 * an address-space limit and a CPU-time limit, and its JSON is read
 * with json-c rather than by hand.
 *
 * qemu reads a filename containing ':' before any '/' as a protocol
 * ("nbd:...", "json:{...}"); every path given to qemu goes through
 * minnow_int_qemu_safe_path, which makes such a name relative to "."
 * so that it is always a plain file. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "minnow-internal.h"
#include "actions-internal.h"
#include "command.h"

/* Far beyond what qemu-img needs for a sane image of any size. */
#define QEMU_IMG_MAX_MEMORY (1024ULL * 1024 * 1024)
#define QEMU_IMG_MAX_CPU_SECONDS 10

/* The formats minnow hands to qemu: those qemu-img can read as disks.
 * (luks needs a secret, vvfat is a directory: not offered.) */
static const char *const known_formats[] = {
  "raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vhdx", "vpc",
  "parallels", "dmg", "cloop", "bochs", NULL
};

int
minnow_int_qemu_known_format (const char *format)
{
  size_t i;

  for (i = 0; known_formats[i]; ++i)
    if (strcmp (format, known_formats[i]) == 0)
      return 1;
  return 0;
}

char *
minnow_int_qemu_safe_path (minnow_h *g, const char *filename)
{
  const char *colon = strchr (filename, ':');
  const char *slash = strchr (filename, '/');

  if (filename[0] == '-' || (colon && (!slash || colon < slash)))
    return minnow_int_safe_asprintf (g, "./%s", filename);
  return minnow_int_safe_strdup (g, filename);
}

/* In the child between fork and exec: async-signal-safe. */
static int
limit_cpu (void *opaque)
{
  struct rlimit rl = { QEMU_IMG_MAX_CPU_SECONDS, QEMU_IMG_MAX_CPU_SECONDS };

  (void) opaque;
  return setrlimit (RLIMIT_CPU, &rl) == -1 ? 1 : 0;
}

/* The first line of qemu-img's stderr, without its "qemu-img: " prefix,
 * for messages.  Points into buf, which it modifies. */
static const char *
qemu_message (char *buf)
{
  char *p;

  if (!buf || !buf[0])
    return "no message";
  if ((p = strchr (buf, '\n')) != NULL)
    *p = '\0';
  if (strncmp (buf, "qemu-img: ", 10) == 0)
    buf += 10;
  return buf;
}

struct command *
minnow_int_qemu_img_new (void)
{
  struct command *cmd = command_new ("qemu-img");

  command_add_env_pass_common (cmd);
  command_set_max_memory (cmd, QEMU_IMG_MAX_MEMORY);
  command_set_pre_exec (cmd, limit_cpu, NULL);
  return cmd;
}

int
minnow_int_qemu_img_run (minnow_h *g, const char *name, const char *filename,
                         struct command *cmd, char **out)
{
  char *err = NULL;
  int status, r = -1;

  if (out) {
    *out = NULL;
    command_set_output_buffer (cmd, out, NULL);
  }
  command_set_error_buffer (cmd, &err, NULL);
  command_raw_status (cmd);
  if (g->verbose) {
    char *line = command_to_string (cmd);

    if (line) {
      debug (g, "%s: %s", name, line);
      free (line);
    }
  }
  if (command_run (cmd, &status) == -1)
    minnow_int_error_errno (g, ENOTSUP, "%s: %s: cannot run qemu-img "
                            "(Debian package qemu-utils): %s", name,
                            filename, command_get_error (cmd));
  else if (WIFSIGNALED (status))
    minnow_int_error_errno (g, EINVAL, "%s: %s: qemu-img was killed by "
                            "signal %d (%s): the image is damaged or "
                            "hostile", name, filename, WTERMSIG (status),
                            WTERMSIG (status) == SIGXCPU ? "CPU time limit"
                            : strsignal (WTERMSIG (status)));
  else if (WEXITSTATUS (status) != 0)
    minnow_int_error_errno (g, EINVAL, "%s: %s: %s", name, filename,
                            qemu_message (err));
  else
    r = 0;
  free (err);
  if (r == -1 && out) {
    free (*out);
    *out = NULL;
  }
  return r;
}

void *
minnow_int_qemu_info (minnow_h *g, const char *name, const char *filename,
                      const char *format)
{
  struct command *cmd;
  char *out = NULL, *path;
  struct stat st;
  json_object *obj = NULL;

  if (filename[0] == '\0') {
    minnow_int_error_errno (g, EINVAL, "%s: the filename is empty", name);
    return NULL;
  }
  if (stat (filename, &st) == -1) {
    minnow_int_perrorf (g, "%s: %s", name, filename);
    return NULL;
  }
  path = minnow_int_qemu_safe_path (g, filename);
  cmd = minnow_int_qemu_img_new ();
  /* -U: read the header even while a writer (our own qemu-nbd
   * included) holds the image's lock. */
  command_add_arg_list (cmd, "info", "-U", "--output=json", NULL);
  if (format)
    command_add_arg_list (cmd, "-f", format, NULL);
  command_add_arg (cmd, path);
  if (minnow_int_qemu_img_run (g, name, filename, cmd, &out) == 0) {
    obj = json_tokener_parse (out ? out : "");
    if (obj == NULL || !json_object_is_type (obj, json_type_object)) {
      minnow_int_error_errno (g, EINVAL, "%s: %s: qemu-img info printed "
                              "no JSON object", name, filename);
      if (obj)
        json_object_put (obj);
      obj = NULL;
    }
  }
  command_free (cmd);
  free (out);
  free (path);
  return obj;
}

void
minnow_int_qemu_info_free (void *info)
{
  if (info)
    json_object_put (info);
}

static const char *
info_string (json_object *info, const char *key)
{
  json_object *v;

  if (!json_object_object_get_ex (info, key, &v)
      || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

/* Whether qemu-img would call filename raw: none of the signatures its
 * format drivers probe for is there (qcow, qcow2, qed, vdi, vmdk, vpc,
 * vhdx, bochs, cloop, parallels, luks; dmg goes by its name).  Most
 * images are raw, and reading 1 KiB is much cheaper than running
 * qemu-img (10-20 ms), which only runs when a signature matches.
 * Returns 1 for raw, 0 when qemu-img must decide. */
int
minnow_int_qemu_looks_raw (const char *filename)
{
  static const struct { size_t off; const char *magic; size_t len; } sigs[] = {
    { 0, "QFI\xfb", 4 },                  /* qcow, qcow2 */
    { 0, "QED\0", 4 },
    { 0, "KDMV", 4 }, { 0, "COWD", 4 },    /* vmdk */
    { 0, "# Disk DescriptorFile", 21 },   /* vmdk descriptor */
    { 0, "conectix", 8 },                 /* vpc */
    { 0, "vhdxfile", 8 },
    { 0x40, "\x7f\x10\xda\xbe", 4 },       /* vdi, little-endian */
    { 0, "Bochs Virtual HD Image", 22 },
    { 0, "#!/bin/sh\n#V2.0 Format", 22 },  /* cloop */
    { 0, "WithoutFreeSpace", 16 }, { 0, "WithouFreSpacExt", 16 },
    { 0, "LUKS\xba\xbe", 6 },
  };
  unsigned char head[1024];
  size_t i, len = strlen (filename);
  ssize_t n;
  int fd;

  if (len > 4 && strcmp (filename + len - 4, ".dmg") == 0)
    return 0;
  fd = open (filename, O_RDONLY | O_CLOEXEC);
  if (fd == -1)
    return 0;
  n = pread (fd, head, sizeof head, 0);
  close (fd);
  if (n < 0)
    return 0;
  for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if ((size_t) n >= sigs[i].off + sigs[i].len &&
        memcmp (head + sigs[i].off, sigs[i].magic, sigs[i].len) == 0)
      return 0;
  /* A vpc (fixed) image keeps its footer at the end only. */
  {
    struct stat st;
    unsigned char tail[8];

    fd = open (filename, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
      return 0;
    if (fstat (fd, &st) == 0 && st.st_size >= 512 &&
        pread (fd, tail, sizeof tail, st.st_size - 512) == (ssize_t) sizeof tail &&
        memcmp (tail, "conectix", 8) == 0) {
      close (fd);
      return 0;
    }
    close (fd);
  }
  return 1;
}

char *
minnow_int_qemu_probe_format (minnow_h *g, const char *name,
                              const char *filename)
{
  json_object *info = minnow_int_qemu_info (g, name, filename, NULL);
  const char *format;
  char *ret = NULL;

  if (info == NULL)
    return NULL;
  format = info_string (info, "format");
  if (format == NULL)
    minnow_int_error_errno (g, EINVAL, "%s: %s: qemu-img info gave no "
                            "format", name, filename);
  else
    ret = minnow_int_safe_strdup (g, format);
  json_object_put (info);
  return ret;
}

char *
minnow_impl_disk_format (minnow_h *g, const char *filename)
{
  return minnow_int_qemu_probe_format (g, "disk_format", filename);
}

int64_t
minnow_impl_disk_virtual_size (minnow_h *g, const char *filename)
{
  json_object *info = minnow_int_qemu_info (g, "disk_virtual_size",
                                            filename, NULL);
  json_object *v;
  int64_t size = -1;

  if (info == NULL)
    return -1;
  if (json_object_object_get_ex (info, "virtual-size", &v)
      && json_object_is_type (v, json_type_int))
    size = json_object_get_int64 (v);
  else
    minnow_int_error_errno (g, EINVAL, "disk_virtual_size: %s: qemu-img "
                            "info gave no virtual size", filename);
  json_object_put (info);
  return size;
}

int
minnow_impl_disk_has_backing_file (minnow_h *g, const char *filename)
{
  json_object *info = minnow_int_qemu_info (g, "disk_has_backing_file",
                                            filename, NULL);
  int r;

  if (info == NULL)
    return -1;
  r = info_string (info, "backing-filename") != NULL;
  json_object_put (info);
  return r;
}
