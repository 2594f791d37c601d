/* minnow(1): parsing of command words and printing of results, used by
 * the generated command table (actions.c) and the shell's own commands. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include "shell.h"

/* ------------------------------------------------------------ words */

static void
push_word (char ***words, size_t *n, char *w)
{
  char **nw = realloc (*words, (*n + 2) * sizeof (char *));

  if (nw == NULL) {
    perror ("minnow: realloc");
    exit (EXIT_FAILURE);
  }
  *words = nw;
  nw[(*n)++] = w;
  nw[*n] = NULL;
}

static int
hexval (int c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char **
shell_split_words (const char *p, const char **err)
{
  char **words = NULL;
  size_t n = 0;
  char *buf = malloc (strlen (p) + 1);

  if (buf == NULL) {
    perror ("minnow: malloc");
    exit (EXIT_FAILURE);
  }
  push_word (&words, &n, NULL);        /* makes an empty, terminated list */
  n = 0;
  for (;;) {
    size_t len = 0;

    while (*p && isspace ((unsigned char) *p))
      ++p;
    if (*p == '\0' || *p == '#')
      break;
    while (*p && !isspace ((unsigned char) *p)) {
      if (*p == '\'') {
        const char *end = strchr (p + 1, '\'');

        if (end == NULL) {
          *err = "unterminated '...' quote";
          goto error;
        }
        memcpy (buf + len, p + 1, end - p - 1);
        len += end - p - 1;
        p = end + 1;
      }
      else if (*p == '"') {
        ++p;
        while (*p != '"') {
          if (*p == '\0') {
            *err = "unterminated \"...\" quote";
            goto error;
          }
          if (*p != '\\') {
            buf[len++] = *p++;
            continue;
          }
          ++p;
          switch (*p) {
          case 'n': buf[len++] = '\n'; ++p; break;
          case 't': buf[len++] = '\t'; ++p; break;
          case 'r': buf[len++] = '\r'; ++p; break;
          case 'a': buf[len++] = '\a'; ++p; break;
          case '\\': case '"': case '\'': case '$': buf[len++] = *p++; break;
          case 'x': {
            int hi = hexval (p[1]), lo = hi >= 0 ? hexval (p[2]) : -1;

            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
              *err = "bad \\xNN escape (two hex digits, not 00)";
              goto error;
            }
            buf[len++] = (char) (hi * 16 + lo);
            p += 3;
            break;
          }
          default:
            *err = "unknown backslash escape in \"...\" (use \\n \\t \\r \\\\ \\\" \\xNN)";
            goto error;
          }
        }
        ++p;
      }
      else
        buf[len++] = *p++;
    }
    buf[len] = '\0';
    push_word (&words, &n, strndup (buf, len));
  }
  free (buf);
  return words;

 error:
  free (buf);
  shell_free_list (words);
  return NULL;
}

void
shell_free_list (char **list)
{
  if (list == NULL)
    return;
  for (size_t i = 0; list[i]; ++i)
    free (list[i]);
  free (list);
}

/* ------------------------------------------------------------ arguments */

int
shell_wrong_args (const char *cmd, int nr_args, int nr_optargs, int got)
{
  if (nr_optargs == 0)
    fprintf (stderr, "minnow: %s: wrong number of arguments: it takes %d, "
             "got %d (see 'help %s')\n", cmd, nr_args, got, cmd);
  else
    fprintf (stderr, "minnow: %s: wrong number of arguments: it takes %d, "
             "then up to %d name:value options, got %d (see 'help %s')\n",
             cmd, nr_args, nr_optargs, got, cmd);
  return -1;
}

int
shell_parse_bool (const char *cmd, const char *arg, const char *s, int *r)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };

  for (size_t i = 0; yes[i]; ++i) {
    if (strcasecmp (s, yes[i]) == 0) { *r = 1; return 0; }
    if (strcasecmp (s, no[i]) == 0) { *r = 0; return 0; }
  }
  fprintf (stderr, "minnow: %s: %s: '%s' is not a boolean "
           "(use true/false, yes/no, on/off or 1/0)\n", cmd, arg, s);
  return -1;
}

static int
parse_number (const char *cmd, const char *arg, const char *s,
              int64_t min, int64_t max, int64_t *r)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 0);
  if (end == s || *end != '\0' || isspace ((unsigned char) *s)) {
    fprintf (stderr, "minnow: %s: %s: '%s' is not a number\n", cmd, arg, s);
    return -1;
  }
  if (errno == ERANGE || v < min || v > max) {
    fprintf (stderr, "minnow: %s: %s: %s is out of range (%" PRIi64
             " to %" PRIi64 ")\n", cmd, arg, s, min, max);
    return -1;
  }
  *r = v;
  return 0;
}

int
shell_parse_int (const char *cmd, const char *arg, const char *s, int *r)
{
  int64_t v;

  if (parse_number (cmd, arg, s, INT_MIN, INT_MAX, &v) == -1)
    return -1;
  *r = (int) v;
  return 0;
}

int
shell_parse_int64 (const char *cmd, const char *arg, const char *s,
                   int64_t *r)
{
  return parse_number (cmd, arg, s, INT64_MIN, INT64_MAX, r);
}

const char *
shell_size_error (const char *s, int64_t *r)
{
  static const struct { const char *suffix; int64_t mult; } units[] = {
    { "", 1 }, { "b", 1 }, { "B", 1 },
    { "k", 1LL << 10 }, { "K", 1LL << 10 }, { "KiB", 1LL << 10 },
    { "M", 1LL << 20 }, { "MiB", 1LL << 20 },
    { "G", 1LL << 30 }, { "GiB", 1LL << 30 },
    { "T", 1LL << 40 }, { "TiB", 1LL << 40 },
    { "P", 1LL << 50 }, { "PiB", 1LL << 50 },
    { "E", 1LL << 60 }, { "EiB", 1LL << 60 },
    { "kB", 1000LL }, { "KB", 1000LL }, { "MB", 1000000LL },
    { "GB", 1000000000LL }, { "TB", 1000000000000LL },
    { "PB", 1000000000000000LL }, { "EB", 1000000000000000000LL },
  };
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (end == s || isspace ((unsigned char) *s))
    return "not a size (a number of bytes, or with a unit: 4K, 10M, 1G, 1GiB, 1GB)";
  if (errno == ERANGE)
    return "out of range";
  for (size_t i = 0; i < sizeof units / sizeof units[0]; ++i) {
    if (strcmp (end, units[i].suffix) == 0) {
      if (v != 0 && (v > INT64_MAX / units[i].mult ||
                     v < INT64_MIN / units[i].mult))
        return "out of range";
      *r = v * units[i].mult;
      return NULL;
    }
  }
  return "unknown unit (use K, M, G, T, P, E or KiB, MiB, GiB ... for "
    "powers of 1024, KB, MB, GB ... for powers of 1000)";
}

int
shell_parse_size (const char *cmd, const char *arg, const char *s,
                  int64_t *r)
{
  const char *err = shell_size_error (s, r);

  if (err) {
    fprintf (stderr, "minnow: %s: %s: '%s': %s\n", cmd, arg, s, err);
    return -1;
  }
  return 0;
}

int
shell_parse_size_int (const char *cmd, const char *arg, const char *s,
                      int *r)
{
  int64_t v;

  if (shell_parse_size (cmd, arg, s, &v) == -1)
    return -1;
  if (v < INT_MIN || v > INT_MAX) {
    fprintf (stderr, "minnow: %s: %s: %s is out of range (at most %d)\n",
             cmd, arg, s, INT_MAX);
    return -1;
  }
  *r = (int) v;
  return 0;
}

char **
shell_parse_list (const char *cmd, const char *arg, const char *s)
{
  const char *err = NULL;
  char **list = shell_split_words (s, &err);

  if (list == NULL)
    fprintf (stderr, "minnow: %s: %s: %s\n", cmd, arg, err);
  return list;
}

const char *
shell_optstring (const char *s)
{
  return strcmp (s, "NULL") == 0 ? NULL : s;
}

const char *
shell_file_in (const char *s)
{
  return strcmp (s, "-") == 0 ? "/dev/stdin" : s;
}

/* "-" as a FileOut when stdout is a regular file (`minnow ... > out`):
 * the library would open the file again through /dev/stdout, from its
 * start, and replace what the shell printed before.  So the data goes
 * through a pipe, and a thread appends it to stdout where the shell's
 * output stands; shell_file_out_done closes and joins after the call. */
static struct {
  int active;
  int pipe_r, pipe_w;
  pthread_t thread;
  char path[32];
} out_relay;

static void *
relay_to_stdout (void *arg)
{
  char buf[65536];

  (void) arg;
  for (;;) {
    ssize_t n = read (out_relay.pipe_r, buf, sizeof buf), off = 0;

    if (n == -1 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    while (off < n) {
      ssize_t w = write (1, buf + off, n - off);

      if (w == -1 && errno == EINTR)
        continue;
      if (w <= 0)
        return NULL;            /* the reader sees the short output */
      off += w;
    }
  }
  return NULL;
}

const char *
shell_file_out (const char *s)
{
  struct stat st;
  int p[2];

  fflush (stdout);
  if (strcmp (s, "-") != 0)
    return s;
  if (out_relay.active || fstat (1, &st) == -1 || !S_ISREG (st.st_mode) ||
      pipe2 (p, O_CLOEXEC) == -1)
    return "/dev/stdout";
  out_relay.pipe_r = p[0];
  out_relay.pipe_w = p[1];
  if (pthread_create (&out_relay.thread, NULL, relay_to_stdout, NULL) != 0) {
    close (p[0]);
    close (p[1]);
    return "/dev/stdout";
  }
  out_relay.active = 1;
  snprintf (out_relay.path, sizeof out_relay.path, "/dev/fd/%d", p[1]);
  return out_relay.path;
}

void
shell_file_out_done (void)
{
  if (!out_relay.active)
    return;
  close (out_relay.pipe_w);
  pthread_join (out_relay.thread, NULL);
  close (out_relay.pipe_r);
  out_relay.active = 0;
}

char *
shell_read_key (const char *cmd, const char *arg)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  FILE *in = stdin;
  int tty = -1;
  struct termios saved, noecho;

  if (!shell_keys_from_stdin) {
    tty = open ("/dev/tty", O_RDWR | O_CLOEXEC);
    if (tty == -1) {
      fprintf (stderr, "minnow: %s: %s: no terminal to ask for the key on "
               "(use --keys-from-stdin)\n", cmd, arg);
      return NULL;
    }
    in = fdopen (tty, "r+");
    if (in == NULL) {
      close (tty);
      return NULL;
    }
    fprintf (in, "Enter key or passphrase (\"%s\"): ", arg);
    fflush (in);
    tcgetattr (tty, &saved);
    noecho = saved;
    noecho.c_lflag &= ~ECHO;
    tcsetattr (tty, TCSAFLUSH, &noecho);
  }
  n = getline (&line, &cap, in);
  if (tty >= 0) {
    tcsetattr (tty, TCSAFLUSH, &saved);
    fprintf (in, "\n");
    fclose (in);
  }
  if (n == -1) {
    fprintf (stderr, "minnow: %s: %s: no key given (end of input)\n", cmd, arg);
    free (line);
    return NULL;
  }
  if (n > 0 && line[n - 1] == '\n')
    line[--n] = '\0';
  return line;
}

void
shell_free_key (char *key)
{
  if (key) {
    volatile char *p = key;

    while (*p)
      *p++ = 0;
    free (key);
  }
}

int
shell_optarg (const char *cmd, const char *word, const char *const *names,
              const char **value)
{
  const char *colon = strchr (word, ':');

  if (colon) {
    size_t len = colon - word;

    for (int i = 0; names[i]; ++i) {
      if (strlen (names[i]) == len && strncmp (names[i], word, len) == 0) {
        *value = colon + 1;
        return i;
      }
    }
  }
  fprintf (stderr, "minnow: %s: '%s' is not an optional argument of this "
           "command (", cmd, word);
  for (int i = 0; names[i]; ++i)
    fprintf (stderr, "%s%s:VALUE", i ? ", " : "", names[i]);
  fprintf (stderr, ")\n");
  return -1;
}

int
shell_failed (const char *cmd)
{
  const char *msg = minnow_last_error (g);
  int err = minnow_last_errno (g);

  fprintf (stderr, "minnow: %s\n", msg ? msg : cmd);
  if (err == EROFS && shell_remote)
    fprintf (stderr, "minnow: %s: the listening daemon's drives are "
             "read-only; start it with minnow --listen --rw to change them\n",
             cmd);
  else if (err == EROFS && !shell_read_write)
    fprintf (stderr, "minnow: %s: the drives were added read-only; run "
             "minnow with --rw (or -w) to change them\n", cmd);
  return -1;
}

/* ------------------------------------------------------------ output */

void
shell_json_string (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;

  putchar ('"');
  for (size_t i = 0; i < len; ++i) {
    unsigned c = p[i];
    size_t extra = 0;

    if (c == '"' || c == '\\') { putchar ('\\'); putchar (c); continue; }
    if (c == '\n') { fputs ("\\n", stdout); continue; }
    if (c == '\t') { fputs ("\\t", stdout); continue; }
    if (c < 0x20 || c == 0x7f) { printf ("\\u%04x", c); continue; }
    if (c < 0x80) { putchar (c); continue; }
    /* Valid UTF-8 goes through; any other byte as the code point of
     * the same number. */
    if ((c & 0xe0) == 0xc0 && c >= 0xc2) extra = 1;
    else if ((c & 0xf0) == 0xe0) extra = 2;
    else if ((c & 0xf8) == 0xf0 && c <= 0xf4) extra = 3;
    if (extra && i + extra < len) {
      size_t k;

      for (k = 1; k <= extra; ++k)
        if ((p[i + k] & 0xc0) != 0x80)
          break;
      if (k > extra) {
        fwrite (p + i, 1, extra + 1, stdout);
        i += extra;
        continue;
      }
    }
    printf ("\\u%04x", c);
  }
  putchar ('"');
}

void
shell_print_none (void)
{
  if (shell_json)
    printf ("null\n");
}

void
shell_print_int (int64_t v)
{
  printf ("%" PRIi64 "\n", v);
}

void
shell_print_bool (int v)
{
  printf ("%s\n", v ? "true" : "false");
}

void
shell_print_string (const char *s)
{
  if (shell_json) {
    if (s)
      shell_json_string (s, strlen (s));
    else
      printf ("null");
    putchar ('\n');
  }
  else
    printf ("%s\n", s ? s : "NULL");
}

void
shell_print_string_list (char *const *list)
{
  if (shell_json) {
    putchar ('[');
    for (size_t i = 0; list[i]; ++i) {
      if (i) fputs (", ", stdout);
      shell_json_string (list[i], strlen (list[i]));
    }
    printf ("]\n");
  }
  else
    for (size_t i = 0; list[i]; ++i)
      printf ("%s\n", list[i]);
}

void
shell_print_hashtable (char *const *list)
{
  if (shell_json) {
    putchar ('{');
    for (size_t i = 0; list[i] && list[i + 1]; i += 2) {
      if (i) fputs (", ", stdout);
      shell_json_string (list[i], strlen (list[i]));
      fputs (": ", stdout);
      shell_json_string (list[i + 1], strlen (list[i + 1]));
    }
    printf ("}\n");
  }
  else
    for (size_t i = 0; list[i] && list[i + 1]; i += 2)
      printf ("%s: %s\n", list[i], list[i + 1]);
}

void
shell_print_buffer (const char *buf, size_t len)
{
  if (shell_json) {
    shell_json_string (buf, len);
    putchar ('\n');
  }
  else {
    fwrite (buf, 1, len, stdout);
    fflush (stdout);
  }
}

/* Structs: "name: value" lines; in a list, each as "[i] = { ... }" with
 * the fields indented.  JSON: an object, a list of them an array. */
static int struct_fields;
static int struct_index;
static int list_items;

void
shell_list_begin (void)
{
  list_items = 0;
  if (shell_json)
    putchar ('[');
}

void
shell_list_end (void)
{
  if (shell_json)
    printf ("]\n");
}

void
shell_struct_begin (int index)
{
  struct_fields = 0;
  struct_index = index;
  if (shell_json) {
    if (index >= 0 && list_items++ > 0)
      fputs (", ", stdout);
    putchar ('{');
  }
  else if (index >= 0)
    printf ("[%d] = {\n", index);
}

void
shell_struct_end (void)
{
  if (shell_json) {
    putchar ('}');
    if (struct_index < 0)
      putchar ('\n');
  }
  else if (struct_index >= 0)
    printf ("}\n");
}

static void
field_name (const char *name)
{
  if (shell_json) {
    if (struct_fields++ > 0)
      fputs (", ", stdout);
    shell_json_string (name, strlen (name));
    fputs (": ", stdout);
  }
  else
    printf ("%s%s: ", struct_index >= 0 ? "  " : "", name);
}

void
shell_field_string (const char *name, const char *s)
{
  field_name (name);
  if (shell_json)
    shell_json_string (s, strlen (s));
  else
    printf ("%s\n", s);
}

void
shell_field_buffer (const char *name, const char *buf, size_t len)
{
  field_name (name);
  if (shell_json) {
    shell_json_string (buf, len);
    return;
  }
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = buf[i];

    if (c >= 0x20 && c < 0x7f && c != '\\')
      putchar (c);
    else
      printf ("\\x%02x", c);
  }
  putchar ('\n');
}

void
shell_field_char (const char *name, char c)
{
  field_name (name);
  if (shell_json)
    shell_json_string (&c, 1);
  else
    printf ("%c\n", c);
}

void
shell_field_int (const char *name, int64_t v)
{
  field_name (name);
  printf (shell_json ? "%" PRIi64 : "%" PRIi64 "\n", v);
}

void
shell_field_uint (const char *name, uint64_t v)
{
  field_name (name);
  printf (shell_json ? "%" PRIu64 : "%" PRIu64 "\n", v);
}

void
shell_field_bool (const char *name, int v)
{
  field_name (name);
  printf (shell_json ? "%s" : "%s\n", v ? "true" : "false");
}
