/* minnow(1), the shell: what the generated command table (actions.c) and
 * the hand-written parts share. */

#ifndef MINNOW_SHELL_H
#define MINNOW_SHELL_H

#include <stddef.h>
#include <stdint.h>

#include "minnow.h"

/* One command per action of api.def (generated in actions.c). */
struct shell_command {
  const char *name;             /* the action's name, with underscores */
  /* Parses argv (the words after the command name), calls the action,
   * prints the result.  Returns 0, or -1 after printing an error. */
  int (*run) (const char *cmd, int argc, char *argv[]);
  int nr_args;                  /* required words */
  int nr_optargs;               /* name:value words that may follow */
  const char *complete;         /* per required word: d device, p path,
                                   b device or path, f host file, o other */
  const char *const *optargs;   /* names of the optional arguments */
  int daemon;                   /* needs a launched handle */
  int in_docs;                  /* listed by `help` and in minnow(1) */
  const char *shortdesc;
  const char *help;             /* the full entry printed by `help NAME` */
};

extern const struct shell_command shell_actions[];
extern const size_t shell_nr_actions;

/* State of the shell (minnow.c). */
extern minnow_h *g;
extern int shell_read_write;    /* --rw */
extern int shell_remote;
/* Ends the progress line of the call that returned, if one was drawn
 * (as complete when ok). */
void shell_progress_end (int ok);        /* --remote: the drives are a --listen daemon's */
extern int shell_json;          /* --format=json */
extern int shell_keys_from_stdin;

/* Finds a command by either spelling (part-disk or part_disk). */
const struct shell_command *shell_find_action (const char *name);

/* Argument parsing for the generated commands (util.c).  Each prints an
 * error naming the command and the argument, and returns -1 (or NULL). */
int shell_wrong_args (const char *cmd, int nr_args, int nr_optargs, int got);
int shell_parse_bool (const char *cmd, const char *arg, const char *s, int *r);
int shell_parse_int (const char *cmd, const char *arg, const char *s, int *r);
int shell_parse_int64 (const char *cmd, const char *arg, const char *s,
                       int64_t *r);
int shell_parse_size (const char *cmd, const char *arg, const char *s,
                      int64_t *r);
int shell_parse_size_int (const char *cmd, const char *arg, const char *s,
                          int *r);
char **shell_parse_list (const char *cmd, const char *arg, const char *s);
void shell_free_list (char **list);
const char *shell_optstring (const char *s);
const char *shell_file_in (const char *s);
const char *shell_file_out (const char *s);
/* After a call: ends the relay shell_file_out may have started for "-". */
void shell_file_out_done (void);
char *shell_read_key (const char *cmd, const char *arg);
void shell_free_key (char *key);
/* The index of the optional argument NAME in "NAME:VALUE", VALUE in
 * *value; -1 (error printed) when it is none of names. */
int shell_optarg (const char *cmd, const char *word,
                  const char *const *names, const char **value);
/* Prints the handle's last error (with a hint about --rw when the write
 * failed on a read-only drive) and returns -1. */
int shell_failed (const char *cmd);
/* Parses a size with an optional unit suffix; NULL on success, else a
 * message (static) saying what is wrong. */
const char *shell_size_error (const char *s, int64_t *r);

/* Output of results: text as guestfish prints it, or one JSON value per
 * command with --format=json (util.c). */
void shell_print_none (void);
void shell_print_int (int64_t v);
void shell_print_bool (int v);
void shell_print_string (const char *s);
void shell_print_string_list (char *const *list);
void shell_print_hashtable (char *const *list);
void shell_print_buffer (const char *buf, size_t len);
void shell_struct_begin (int index);        /* index -1: a single struct */
void shell_field_string (const char *name, const char *s);
void shell_field_buffer (const char *name, const char *buf, size_t len);
void shell_field_char (const char *name, char c);
void shell_field_int (const char *name, int64_t v);
void shell_field_uint (const char *name, uint64_t v);
void shell_field_bool (const char *name, int v);
void shell_struct_end (void);
void shell_list_begin (void);
void shell_list_end (void);
void shell_json_string (const char *s, size_t len);

/* Splitting a command line into words (util.c): "..." with C escapes,
 * '...' literal.  Returns the words (NULL-terminated; free with
 * shell_free_list), or NULL with *err set to a message. */
char **shell_split_words (const char *line, const char **err);

/* Interactive use (interactive.c). */
int shell_interactive (void);
/* Around every call at the terminal: Ctrl-C cancels the call instead of
 * signalling the daemon too. */
void shell_call_begin (void);
void shell_call_end (void);

/* Runs one command line; lineno for messages (0: interactive). */
int shell_execute_line (const char *line, int lineno);

/* Set by the SIGINT handler while a call runs. */
extern volatile int shell_interrupted;

#endif /* MINNOW_SHELL_H */
