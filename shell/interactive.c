/* minnow(1): interactive use.  readline editing and history
 * (~/.minnow_history), completion of command names, of device names from
 * the launched daemon, of paths inside the image, of optional argument
 * names and of host files. */

#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <readline/readline.h>
#include <readline/history.h>

#include "shell.h"

/* Ctrl-C during a call.  The daemon has a process group of its own
 * (set_pgroup), so the terminal's SIGINT would reach the shell only; but
 * while a call runs, the terminal is put in non-canonical mode without
 * signals all the same, and a thread reads it: the interrupt character
 * cancels the call (minnow_user_cancel), and keys typed ahead are kept
 * for readline rather than echoed over the call's output. */
static int interactive_tty;
static int call_depth;
static struct termios saved_termios;
static int wake_pipe[2] = { -1, -1 };
static pthread_t watcher;
static char pending[4096];
static size_t pending_len, pending_pos;

static void *
watch_terminal (void *arg)
{
  struct pollfd p[2] = { { 0, POLLIN, 0 }, { wake_pipe[0], POLLIN, 0 } };

  for (;;) {
    char buf[256];
    ssize_t n;

    if (poll (p, 2, -1) == -1) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p[1].revents)
      break;
    if (!(p[0].revents & POLLIN))
      break;
    n = read (0, buf, sizeof buf);
    if (n <= 0)
      break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == (char) saved_termios.c_cc[VINTR]) {
        shell_interrupted = 1;
        minnow_user_cancel (g);
        if (write (2, "^C\n", 3) == -1) { /* nothing to do */ }
      }
      else if (pending_len < sizeof pending)
        pending[pending_len++] = buf[i];
    }
  }
  return NULL;
}

void
shell_call_begin (void)
{
  struct termios t;

  if (!interactive_tty || call_depth++ > 0)
    return;
  if (tcgetattr (0, &saved_termios) == -1 || pipe (wake_pipe) == -1) {
    call_depth = 0;
    interactive_tty = 0;
    return;
  }
  t = saved_termios;
  t.c_lflag &= ~(ISIG | ICANON | ECHO);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  tcsetattr (0, TCSANOW, &t);
  if (pthread_create (&watcher, NULL, watch_terminal, NULL) != 0) {
    tcsetattr (0, TCSANOW, &saved_termios);
    close (wake_pipe[0]);
    close (wake_pipe[1]);
    call_depth = 0;
  }
}

void
shell_call_end (void)
{
  if (!interactive_tty || call_depth == 0 || --call_depth > 0)
    return;
  if (write (wake_pipe[1], "", 1) == -1) { /* the thread ends at EOF */ }
  pthread_join (watcher, NULL);
  close (wake_pipe[0]);
  close (wake_pipe[1]);
  tcsetattr (0, TCSANOW, &saved_termios);
}

/* readline reads what was typed during a call first. */
static int
getc_with_pending (FILE *fp)
{
  if (pending_pos < pending_len) {
    int c = (unsigned char) pending[pending_pos++];

    if (pending_pos == pending_len)
      pending_pos = pending_len = 0;
    return c;
  }
  return rl_getc (fp);
}

static const char *const shell_words[] = {
  "help", "quit", "exit", "lcd", "echo", "time", "glob", "alloc", "allocate",
  "sparse", "reopen", "supported", "display", "less", "more", "edit", "vi",
  "emacs", "run", NULL
};

/* The candidates of the word being completed, made once per completion
 * by complete_words; the generator hands them out. */
static char **candidates;
static size_t nr_candidates, next_candidate;

static void
add_candidate (const char *s)
{
  candidates = realloc (candidates, (nr_candidates + 2) * sizeof (char *));
  candidates[nr_candidates++] = strdup (s);
  candidates[nr_candidates] = NULL;
}

static void
clear_candidates (void)
{
  for (size_t i = 0; i < nr_candidates; ++i)
    free (candidates[i]);
  free (candidates);
  candidates = NULL;
  nr_candidates = next_candidate = 0;
}

static char *
candidate_generator (const char *text, int state)
{
  size_t len = strlen (text);

  if (state == 0)
    next_candidate = 0;
  while (next_candidate < nr_candidates) {
    const char *c = candidates[next_candidate++];

    if (strncmp (c, text, len) == 0)
      return strdup (c);
  }
  return NULL;
}

static void
command_candidates (void)
{
  for (size_t i = 0; shell_words[i]; ++i)
    add_candidate (shell_words[i]);
  for (size_t i = 0; i < shell_nr_actions; ++i) {
    char *d = strdup (shell_actions[i].name);

    if (!shell_actions[i].in_docs) {
      free (d);
      continue;
    }
    for (char *p = d; *p; ++p)
      if (*p == '_') *p = '-';
    add_candidate (d);
    free (d);
  }
}

static int
launched (void)
{
  return g && (minnow_is_ready (g) == 1);
}

static void
device_candidates (void)
{
  char **l;

  if (!launched ())
    return;
  if ((l = minnow_list_devices (g)) != NULL) {
    for (size_t i = 0; l[i]; ++i)
      add_candidate (l[i]);
    shell_free_list (l);
  }
  if ((l = minnow_list_partitions (g)) != NULL) {
    for (size_t i = 0; l[i]; ++i)
      add_candidate (l[i]);
    shell_free_list (l);
  }
}

/* Entries of the directory part of TEXT, directories with a '/'. */
static void
path_candidates (const char *text)
{
  const char *slash = strrchr (text, '/');
  char *dir, **l;

  if (!launched () || text[0] != '/' || slash == NULL)
    return;
  dir = slash == text ? strdup ("/") : strndup (text, slash - text);
  l = minnow_ls (g, dir);
  if (l) {
    for (size_t i = 0; l[i]; ++i) {
      char *p;

      if (asprintf (&p, "%s/%s", strcmp (dir, "/") ? dir : "", l[i]) == -1)
        continue;
      if (minnow_is_dir (g, p) == 1) {
        char *q;

        if (asprintf (&q, "%s/", p) != -1) {
          add_candidate (q);
          free (q);
        }
      }
      else
        add_candidate (p);
      free (p);
    }
    shell_free_list (l);
  }
  free (dir);
}

static char **
attempted_completion (const char *text, int start, int end)
{
  char *before = strndup (rl_line_buffer, start);
  const char *err = NULL;
  char **words = shell_split_words (before, &err);
  char **matches = NULL;
  int n = 0;

  free (before);
  clear_candidates ();
  rl_attempted_completion_over = 1;   /* no filename fallback unless asked */
  if (words == NULL)
    return NULL;
  while (words[n])
    ++n;
  if (n == 0)
    command_candidates ();
  else {
    const char *cmd = words[0][0] == '-' ? words[0] + 1 : words[0];
    const struct shell_command *c;

    if (strcmp (cmd, "time") == 0 || strcmp (cmd, "glob") == 0) {
      cmd = n > 1 ? words[1] : NULL;
      n--;
    }
    c = cmd ? shell_find_action (cmd) : NULL;
    if (cmd && n == 0)
      command_candidates ();
    else if (c) {
      int k = n - 1;
      char cls = k < c->nr_args ? c->complete[k] : 0;

      if (cls == 'd')
        device_candidates ();
      else if (cls == 'p')
        path_candidates (text);
      else if (cls == 'b') {
        device_candidates ();
        path_candidates (text);
      }
      else if (cls == 'f')
        rl_attempted_completion_over = 0;
      else if (k >= c->nr_args && c->optargs)
        for (size_t i = 0; c->optargs[i]; ++i) {
          char *o;

          if (asprintf (&o, "%s:", c->optargs[i]) != -1) {
            add_candidate (o);
            free (o);
          }
        }
    }
    else if (cmd && (strcmp (cmd, "lcd") == 0 || strcmp (cmd, "alloc") == 0 ||
                     strcmp (cmd, "sparse") == 0))
      rl_attempted_completion_over = 0;
    else if (cmd && (strcmp (cmd, "edit") == 0 || strcmp (cmd, "vi") == 0 ||
                     strcmp (cmd, "less") == 0 || strcmp (cmd, "more") == 0 ||
                     strcmp (cmd, "display") == 0 || strcmp (cmd, "emacs") == 0))
      path_candidates (text);
    else if (cmd && strcmp (cmd, "help") == 0 && n == 1)
      command_candidates ();
  }
  shell_free_list (words);
  if (nr_candidates > 0) {
    matches = rl_completion_matches (text, candidate_generator);
    /* A directory: keep completing inside it, no space after. */
    if (matches && matches[0] && matches[1] == NULL) {
      size_t l = strlen (matches[0]);

      if (l > 0 && (matches[0][l - 1] == '/' || matches[0][l - 1] == ':'))
        rl_completion_suppress_append = 1;
    }
  }
  return matches;
}

/* Ctrl-C at the prompt abandons the line being typed, as in bash.
 * readline catches the signal (and passes it to the shell's handler),
 * then calls this hook because its read was interrupted. */
static int
abandon_line (void)
{
  if (call_depth == 0 && shell_interrupted) {
    shell_interrupted = 0;
    rl_replace_line ("", 0);
    rl_crlf ();
    rl_on_new_line ();
    rl_redisplay ();
  }
  return 0;
}

int
shell_interactive (void)
{
  char *history = NULL, *line;
  const char *home = getenv ("HOME");
  int r = 0;

  rl_readline_name = "minnow";
  rl_getc_function = getc_with_pending;
  rl_signal_event_hook = abandon_line;
  interactive_tty = isatty (0);
  rl_attempted_completion_function = attempted_completion;
  rl_completer_word_break_characters = (char *) " \t\n\"'";
  if (home && asprintf (&history, "%s/.minnow_history", home) != -1) {
    using_history ();
    stifle_history (1000);
    read_history (history);
  }
  printf ("\nWelcome to minnow, the shell for editing disk images.\n"
          "Type 'help' for the commands, 'quit' to leave.  Drives are %s.\n\n",
          shell_read_write ? "read-write (--rw)" : "read-only (use --rw to write)");
  for (;;) {
    int rr;

    shell_interrupted = 0;
    line = readline ("><minnow> ");
    if (line == NULL) {
      printf ("\n");
      break;
    }
    if (*line)
      add_history (line);
    rr = shell_execute_line (line, 0);
    free (line);
    if (rr == 1)
      break;
    r = rr;                     /* the status of the last command */
  }
  if (history) {
    write_history (history);
    free (history);
  }
  clear_candidates ();
  return r == -1 ? -1 : 0;
}
