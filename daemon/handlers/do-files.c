/* minnow: libguestfs's calls that look at files' contents or names
 * (case_sensitive_path, glob_expand, grep, hexdump, strings,
 * strings_e, mkdtemp, mktemp, file, file_architecture).
 *
 * Everything is read through the engine, inside the image; only
 * decompression (grep's compressed) and libmagic (file) use anything
 * from the host, and they see bytes, never image paths. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <magic.h>

#include "command.h"
#include "storage-actions.h"
#include "actions.h"
#include "inspect.h"

/* Largest file these calls read whole. */
#define MAX_READ (256 * 1024 * 1024)

/* A growing NULL-terminated list of strings. */
struct list {
  char **v;
  size_t n, cap;
};

static int
list_add (struct list *l, const char *s, size_t len)
{
  if (l->n + 2 > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 32;
    char **v = realloc (l->v, cap * sizeof *v);
    if (v == NULL)
      return -ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n] = strndup (s, len);
  if (l->v[l->n] == NULL)
    return -ENOMEM;
  l->v[++l->n] = NULL;
  return 0;
}

/* The list to return (an empty one when nothing was added). */
static char **
list_take (struct list *l)
{
  if (l->v == NULL) {
    l->v = calloc (1, sizeof *l->v);
    if (l->v == NULL)
      reply_with_perror ("calloc");
  }
  return l->v;
}

static int
random_chars (char *p, size_t n)
{
  static const char set[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char b[64];
  FILE *fp = fopen ("/dev/urandom", "re");
  size_t i;

  if (fp == NULL || n > sizeof b || fread (b, 1, n, fp) != n) {
    if (fp)
      fclose (fp);
    return -EIO;
  }
  fclose (fp);
  for (i = 0; i < n; i++)
    p[i] = set[b[i] % (sizeof set - 1)];
  return 0;
}

/* ---------------------------------------------------------------- */
/* case_sensitive_path.                                               */

char *
do_case_sensitive_path (const char *path)
{
  const char *p = path;
  char *out, comp[256];
  size_t len = 0;
  int r = 0;

  out = malloc (strlen (path) + 2);
  if (out == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  out[0] = '\0';
  for (;;) {
    struct fsop_dirent *ents = NULL;
    size_t n = 0, i, clen;
    const char *found = NULL;
    int last;

    while (*p == '/')
      p++;
    if (*p == '\0')
      break;
    clen = strcspn (p, "/");
    if (clen >= sizeof comp) {
      r = -ENAMETOOLONG;
      break;
    }
    memcpy (comp, p, clen);
    comp[clen] = '\0';
    p += clen;
    last = p[strspn (p, "/")] == '\0';
    if (strcmp (comp, ".") == 0)
      continue;
    if (strcmp (comp, "..") == 0) {
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 0)
        len--;
      out[len] = '\0';
      continue;
    }
    r = fsop_readdir (len ? out : "/", &ents, &n);
    if (r < 0)
      break;
    for (i = 0; i < n && !found; i++)
      if (strcmp (ents[i].name, comp) == 0)
        found = ents[i].name;
    for (i = 0; i < n && !found; i++)
      if (strcasecmp (ents[i].name, comp) == 0)
        found = ents[i].name;
    if (found == NULL && !last) {
      fsop_dirents_free (ents, n);
      r = -ENOENT;
      break;
    }
    /* A missing last element is returned as given. */
    out[len++] = '/';
    strcpy (out + len, found ? found : comp);
    len += strlen (out + len);
    fsop_dirents_free (ents, n);
  }
  if (r < 0) {
    free (out);
    reply_errno_path (r, path);
    return NULL;
  }
  if (len == 0)
    strcpy (out, "/");
  return out;
}

/* ---------------------------------------------------------------- */
/* glob_expand.                                                       */

static int
has_magic (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

/* Expands the components of pattern from *rest on, below the existing
 * directory dir ("" for the root). */
static int
glob_rec (const char *dir, const char *rest, int dirslash, struct list *l)
{
  const char *slash;
  char comp[256];
  size_t clen;
  struct fsop_dirent *ents = NULL;
  size_t n = 0, i;
  int r;

  while (*rest == '/')
    rest++;
  if (*rest == '\0') {
    struct engine_stat st;
    char *p;
    int isdir = fsop_stat (*dir ? dir : "/", 0, &st) == 0
      && S_ISDIR (st.mode);
    if (asprintf (&p, "%s%s", *dir ? dir : "/",
                  isdir && dirslash && *dir ? "/" : "") == -1)
      return -ENOMEM;
    r = list_add (l, p, strlen (p));
    free (p);
    return r;
  }
  slash = strchr (rest, '/');
  clen = slash ? (size_t) (slash - rest) : strlen (rest);
  if (clen >= sizeof comp)
    return 0;
  memcpy (comp, rest, clen);
  comp[clen] = '\0';
  rest += clen;

  if (!has_magic (comp)) {
    char *p;
    if (asprintf (&p, "%s/%s", dir, comp) == -1)
      return -ENOMEM;
    r = fsop_exists (p);
    if (r == 1 && *rest) {
      struct engine_stat st;
      if (fsop_stat (p, 0, &st) < 0 || !S_ISDIR (st.mode))
        r = 0;
    }
    if (r == 1)
      r = glob_rec (p, rest, dirslash, l);
    else if (r < 0 && r != -ENOTDIR)
      ;
    else
      r = 0;
    free (p);
    return r;
  }
  r = fsop_readdir (*dir ? dir : "/", &ents, &n);
  if (r < 0)
    return r == -ENOTDIR || r == -ENOENT ? 0 : r;
  for (i = 0; i < n && r >= 0; i++) {
    char *p;
    if (fnmatch (comp, ents[i].name, FNM_PERIOD) != 0)
      continue;
    if (asprintf (&p, "%s/%s", dir, ents[i].name) == -1) {
      r = -ENOMEM;
      break;
    }
    if (*rest) {
      struct engine_stat st;
      if (fsop_stat (p, 0, &st) == 0 && S_ISDIR (st.mode))
        r = glob_rec (p, rest, dirslash, l);
    } else
      r = glob_rec (p, rest, dirslash, l);
    free (p);
  }
  fsop_dirents_free (ents, n);
  return r;
}

/* optargs of glob_expand. */
#define GLOB_DIRECTORYSLASH (1 << 0)

char **
do_glob_expand (const char *pattern, int directoryslash)
{
  struct list l = { 0 };
  int r;

  if (!(optargs_bitmask & GLOB_DIRECTORYSLASH))
    directoryslash = 1;
  r = glob_rec ("", pattern, directoryslash, &l);
  if (r < 0) {
    strlist_free (l.v);
    reply_errno_path (r, pattern);
    return NULL;
  }
  if (l.v)
    strlist_sort (l.v);
  return list_take (&l);
}

/* ---------------------------------------------------------------- */
/* grep.                                                              */

/* If buf is compressed (gzip, bzip2, xz, zstd), its decompressed bytes
 * replace it; *buf and *len are updated.  0 or a reply and -1. */
static int
decompress (const char *path, char **buf, size_t *len)
{
  static const struct { const char *magic; size_t n; const char *prog; } kinds[] = {
    { "\x1f\x8b", 2, "gzip" }, { "BZh", 3, "bzip2" },
    { "\xfd" "7zXZ\0", 6, "xz" }, { "\x28\xb5\x2f\xfd", 4, "zstd" },
  };
  struct command *cmd;
  char *out = NULL;
  size_t outlen = 0, i;
  int status;

  for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (*len >= kinds[i].n && memcmp (*buf, kinds[i].magic, kinds[i].n) == 0)
      break;
  if (i == sizeof kinds / sizeof kinds[0])
    return 0;                   /* not compressed: as zgrep, the file itself */
  cmd = command_new (kinds[i].prog);
  command_add_arg (cmd, "-dc");
  command_set_input_buffer (cmd, *buf, *len);
  command_set_output_buffer (cmd, &out, &outlen);
  command_add_env_pass (cmd, "PATH");
  command_set_max_memory (cmd, 1ULL << 30);
  if (command_run (cmd, &status) == -1 || status != 0) {
    reply_with_error_errno (EIO, "%s: %s -dc failed%s%s", path,
                            kinds[i].prog, status ? "" : ": ",
                            status ? "" : command_get_error (cmd));
    command_free (cmd);
    free (out);
    return -1;
  }
  command_free (cmd);
  free (*buf);
  *buf = out ? out : strdup ("");
  *len = outlen;
  return *buf ? 0 : -1;
}

/* optargs of grep. */
#define GREP_EXTENDED    (1 << 0)
#define GREP_FIXED       (1 << 1)
#define GREP_INSENSITIVE (1 << 2)
#define GREP_COMPRESSED  (1 << 3)

char **
do_grep (const char *regex, const char *path, int extended, int fixed,
         int insensitive, int compressed)
{
  struct list l = { 0 };
  regex_t re;
  char *buf = NULL, *line, *p, *end;
  size_t len = 0;
  int r;

  extended = (optargs_bitmask & GREP_EXTENDED) && extended;
  fixed = (optargs_bitmask & GREP_FIXED) && fixed;
  insensitive = (optargs_bitmask & GREP_INSENSITIVE) && insensitive;
  compressed = (optargs_bitmask & GREP_COMPRESSED) && compressed;
  if (extended && fixed) {
    reply_with_error_errno (EINVAL, "extended and fixed cannot both be "
                            "true");
    return NULL;
  }
  if (!fixed) {
    r = regcomp (&re, regex, REG_NOSUB | (extended ? REG_EXTENDED : 0)
                 | (insensitive ? REG_ICASE : 0));
    if (r != 0) {
      char msg[256];
      regerror (r, &re, msg, sizeof msg);
      reply_with_error_errno (EINVAL, "%s: %s", regex, msg);
      return NULL;
    }
  }
  r = fsop_read_all (path, &buf, &len, MAX_READ);
  if (r < 0) {
    if (!fixed)
      regfree (&re);
    reply_errno_path (r, path);
    return NULL;
  }
  if (compressed && decompress (path, &buf, &len) < 0) {
    if (!fixed)
      regfree (&re);
    free (buf);
    return NULL;
  }
  line = malloc (len + 1);
  if (line == NULL) {
    r = -ENOMEM;
    goto out;
  }
  for (p = buf; p < buf + len; p = end + 1) {
    size_t ll;
    int match;

    end = memchr (p, '\n', buf + len - p);
    if (end == NULL)
      end = buf + len;
    ll = end - p;
    memcpy (line, p, ll);
    line[ll] = '\0';
    if (fixed)
      match = (insensitive ? strcasestr (line, regex)
               : strstr (line, regex)) != NULL;
    else
      match = regexec (&re, line, 0, NULL, 0) == 0;
    if (match && (r = list_add (&l, p, ll)) < 0)
      break;
  }
 out:
  free (line);
  free (buf);
  if (!fixed)
    regfree (&re);
  if (r < 0) {
    strlist_free (l.v);
    reply_errno_path (r, path);
    return NULL;
  }
  return list_take (&l);
}

/* ---------------------------------------------------------------- */
/* hexdump, strings.                                                  */

char *
do_hexdump (const char *path)
{
  char *buf = NULL, *out = NULL;
  size_t len = 0, outlen = 0, off;
  int r, starred = 0;
  FILE *fp;

  r = fsop_read_all (path, &buf, &len, MAX_READ / 8);
  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  fp = open_memstream (&out, &outlen);
  if (fp == NULL) {
    free (buf);
    reply_with_perror ("open_memstream");
    return NULL;
  }
  /* hexdump -C: a line that repeats the previous full one is "*". */
  for (off = 0; off < len; off += 16) {
    size_t n = len - off < 16 ? len - off : 16, i;

    if (off > 0 && n == 16 && memcmp (buf + off, buf + off - 16, 16) == 0) {
      if (!starred)
        fputs ("*\n", fp);
      starred = 1;
      continue;
    }
    starred = 0;
    fprintf (fp, "%08zx ", off);
    for (i = 0; i < 16; i++) {
      if (i == 8)
        fputc (' ', fp);
      if (i < n)
        fprintf (fp, " %02x", (unsigned char) buf[off + i]);
      else
        fputs ("   ", fp);
    }
    fputs ("  |", fp);
    for (i = 0; i < n; i++) {
      unsigned char c = buf[off + i];
      fputc (c >= 0x20 && c < 0x7f ? c : '.', fp);
    }
    fputs ("|\n", fp);
  }
  if (len > 0)
    fprintf (fp, "%08zx\n", len);
  fclose (fp);
  free (buf);
  if (out == NULL)
    reply_with_perror ("hexdump");
  return out;
}

/* strings -a -e ENCODING: runs of at least 4 printable characters. */
static char **
strings_of (const char *encoding, const char *path)
{
  struct list l = { 0 };
  char *buf = NULL, *run;
  size_t len = 0, width, i, k, nrun = 0;
  int r, big = 0, eight = 0;

  if (strcmp (encoding, "s") == 0)
    width = 1;
  else if (strcmp (encoding, "S") == 0)
    width = 1, eight = 1;
  else if (strcmp (encoding, "b") == 0 || strcmp (encoding, "l") == 0)
    width = 2, big = encoding[0] == 'b';
  else if (strcmp (encoding, "B") == 0 || strcmp (encoding, "L") == 0)
    width = 4, big = encoding[0] == 'B';
  else {
    reply_with_error_errno (EINVAL, "%s: unknown encoding (s, S, b, l, B, "
                            "L)", encoding);
    return NULL;
  }
  r = fsop_read_all (path, &buf, &len, MAX_READ);
  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  run = malloc (len / width + 1);
  if (run == NULL) {
    free (buf);
    reply_with_perror ("malloc");
    return NULL;
  }
  for (i = 0; i + width <= len + width; i += width) {
    unsigned c = 0;
    int printable = 0;

    if (i + width <= len) {
      for (k = 0; k < width; k++)
        c |= (unsigned) (unsigned char) buf[i + k]
          << (8 * (big ? width - 1 - k : k));
      printable = c == '\t' || (c >= 0x20 && c < 0x7f)
        || (eight && c >= 0x80 && c <= 0xff);
    }
    if (printable) {
      run[nrun++] = (char) c;
      continue;
    }
    if (nrun >= 4 && (r = list_add (&l, run, nrun)) < 0)
      break;
    nrun = 0;
  }
  free (run);
  free (buf);
  if (r < 0) {
    strlist_free (l.v);
    reply_errno_path (r, path);
    return NULL;
  }
  return list_take (&l);
}

char **
do_strings (const char *path)
{
  return strings_of ("s", path);
}

char **
do_strings_e (const char *encoding, const char *path)
{
  return strings_of (encoding, path);
}

/* ---------------------------------------------------------------- */
/* mkdtemp, mktemp.                                                   */

/* Fills the trailing XXXXXX of a copy of tmpl and calls make until it
 * does not fail with EEXIST; returns the name or NULL after a reply. */
static char *
make_temp (const char *tmpl, const char *suffix, int dir)
{
  size_t tl = strlen (tmpl), sl = suffix ? strlen (suffix) : 0;
  char *name;
  int tries, r = -EEXIST;

  if (tl < 6 || strcmp (tmpl + tl - 6, "XXXXXX") != 0) {
    reply_with_error_errno (EINVAL, "%s: the template must end in XXXXXX",
                            tmpl);
    return NULL;
  }
  if (suffix && strchr (suffix, '/')) {
    reply_with_error_errno (EINVAL, "%s: the suffix must not contain '/'",
                            suffix);
    return NULL;
  }
  name = malloc (tl + sl + 1);
  if (name == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  memcpy (name, tmpl, tl);
  if (suffix)
    memcpy (name + tl, suffix, sl);
  name[tl + sl] = '\0';
  for (tries = 0; tries < 100 && r == -EEXIST; tries++) {
    if (random_chars (name + tl - 6, 6) < 0) {
      r = -EIO;
      break;
    }
    r = dir ? fsop_mkdir (name, 0700) : fsop_mknod (name, S_IFREG | 0600, 0);
  }
  if (r < 0) {
    reply_errno_path (r, tmpl);
    free (name);
    return NULL;
  }
  return name;
}

char *
do_mkdtemp (const char *tmpl)
{
  return make_temp (tmpl, NULL, 1);
}

/* optargs of mktemp. */
#define MKTEMP_SUFFIX (1 << 0)

char *
do_mktemp (const char *tmpl, const char *suffix)
{
  return make_temp (tmpl, optargs_bitmask & MKTEMP_SUFFIX ? suffix : NULL, 0);
}

/* ---------------------------------------------------------------- */
/* file, file_architecture.                                           */

/* libmagic reads at most this much of a file (its own default). */
#define MAGIC_BYTES (7 * 1024 * 1024)

/* The first bytes of a device or a file; NULL after a reply. */
static char *
head_of (const char *path, size_t max, size_t *len_r)
{
  char *buf;
  ssize_t n;

  buf = malloc (max ? max : 1);
  if (buf == NULL) {
    reply_with_perror ("malloc");
    return NULL;
  }
  if (strncmp (path, "/dev/", 5) == 0) {
    struct engine_range range;
    char *msg = NULL;
    int r = storage_device_range (path, &range, &msg);
    if (r < 0) {
      free (buf);
      reply_errno_msg (r, path, msg);
      return NULL;
    }
    free (msg);
    if (device_in_use (path))
      storage_sync_all ();
    if (max > range.length)
      max = range.length;
    do
      n = pread (range.fd, buf, max, range.offset);
    while (n == -1 && errno == EINTR);
    if (n == -1)
      n = -errno;
  } else
    n = fsop_pread (path, buf, max, 0);
  if (n < 0) {
    free (buf);
    reply_errno_path ((int) n, path);
    return NULL;
  }
  *len_r = (size_t) n;
  return buf;
}

char *
do_file (const char *path)
{
  struct engine_stat st;
  magic_t cookie;
  const char *desc;
  char *buf, *ret;
  size_t len;
  int r;

  if (strncmp (path, "/dev/", 5) != 0) {
    const char *what = NULL;
    r = fsop_stat (path, 1, &st);
    if (r < 0) {
      reply_errno_path (r, path);
      return NULL;
    }
    if (S_ISDIR (st.mode))
      what = "directory";
    else if (S_ISLNK (st.mode))
      what = "symbolic link";
    else if (S_ISCHR (st.mode))
      what = "character device";
    else if (S_ISBLK (st.mode))
      what = "block device";
    else if (S_ISFIFO (st.mode))
      what = "FIFO";
    else if (S_ISSOCK (st.mode))
      what = "socket";
    if (what) {
      ret = strdup (what);
      if (ret == NULL)
        reply_with_perror ("strdup");
      return ret;
    }
  }
  buf = head_of (path, MAGIC_BYTES, &len);
  if (buf == NULL)
    return NULL;
  cookie = magic_open (MAGIC_COMPRESS | MAGIC_RAW);
  if (cookie == NULL || magic_load (cookie, NULL) != 0) {
    reply_with_error_errno (EIO, "libmagic: %s",
                            cookie ? magic_error (cookie) : "magic_open");
    if (cookie)
      magic_close (cookie);
    free (buf);
    return NULL;
  }
  desc = magic_buffer (cookie, buf, len);
  ret = desc ? strdup (desc) : NULL;
  if (desc == NULL)
    reply_with_error_errno (EIO, "%s: libmagic: %s", path,
                            magic_error (cookie));
  else if (ret == NULL)
    reply_with_perror ("strdup");
  magic_close (cookie);
  free (buf);
  return ret;
}

static uint32_t
get32 (const unsigned char *p, int big)
{
  return big ? (uint32_t) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]
    : (uint32_t) p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

static unsigned
get16 (const unsigned char *p, int big)
{
  return big ? (unsigned) (p[0] << 8 | p[1]) : (unsigned) (p[1] << 8 | p[0]);
}

static const char *
elf_arch (const unsigned char *h, size_t len)
{
  int is64, big;
  unsigned m;

  if (len < 20)
    return NULL;
  is64 = h[4] == 2;
  big = h[5] == 2;
  m = get16 (h + 18, big);
  switch (m) {
  case 3: return "i386";
  case 62: return "x86_64";
  case 40: return "arm";
  case 183: return "aarch64";
  case 20: return "ppc";
  case 21: return big ? "ppc64" : "ppc64le";
  case 22: return "s390x";
  case 2: case 18: return "sparc";
  case 43: return "sparc64";
  case 8: return is64 ? "mips64" : "mips";
  case 50: return "ia64";
  case 243: return is64 ? "riscv64" : "riscv32";
  case 258: return "loongarch64";
  }
  return NULL;
}

static const char *
pe_arch (const unsigned char *h, size_t len)
{
  uint32_t pe;

  if (len < 0x40)
    return NULL;
  pe = get32 (h + 0x3c, 0);
  if ((uint64_t) pe + 6 > len || memcmp (h + pe, "PE\0\0", 4) != 0)
    return NULL;
  switch (get16 (h + pe + 4, 0)) {
  case 0x14c: return "i386";
  case 0x8664: return "x86_64";
  case 0xaa64: return "aarch64";
  case 0x1c0: case 0x1c4: return "arm";
  case 0x200: return "ia64";
  case 0x5064: return "riscv64";
  }
  return NULL;
}

static const char *
macho_cpu (uint32_t cpu)
{
  switch (cpu) {
  case 7: return "i386";
  case 0x01000007: return "x86_64";
  case 12: return "arm";
  case 0x0100000c: return "aarch64";
  case 18: return "ppc";
  case 0x01000012: return "ppc64";
  }
  return NULL;
}

static const char *
macho_arch (const unsigned char *h, size_t len)
{
  uint32_t magic;

  if (len < 8)
    return NULL;
  magic = get32 (h, 1);
  if (magic == 0xfeedface || magic == 0xfeedfacf)
    return macho_cpu (get32 (h + 4, 1));
  if (magic == 0xcefaedfe || magic == 0xcffaedfe)
    return macho_cpu (get32 (h + 4, 0));
  return NULL;
}

/* Also inspection's way to tell a guest's architecture (inspect.h). */
const char *
inspect_binary_arch (const unsigned char *buf, size_t len)
{
  if (len >= 4 && memcmp (buf, "\x7f" "ELF", 4) == 0)
    return elf_arch (buf, len);
  if (len >= 2 && memcmp (buf, "MZ", 2) == 0)
    return pe_arch (buf, len);
  return macho_arch (buf, len);
}

char *
do_file_architecture (const char *filename)
{
  unsigned char *buf;
  const char *arch = NULL;
  char *ret;
  size_t len;

  buf = (unsigned char *) head_of (filename, 64 * 1024, &len);
  if (buf == NULL)
    return NULL;
  arch = inspect_binary_arch (buf, len);
  free (buf);
  if (arch == NULL) {
    reply_with_error_errno (EINVAL, "%s: not an ELF, PE or Mach-O binary "
                            "of an architecture minnow knows", filename);
    return NULL;
  }
  ret = strdup (arch);
  if (ret == NULL)
    reply_with_perror ("strdup");
  return ret;
}
