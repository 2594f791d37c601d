/* libminnow: the private data area (set/get/first/next). */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "minnow-internal.h"

void
minnow_set_private (minnow_h *g, const char *key, void *data)
{
  size_t i;

  MINNOW_LOCK_FOR_SCOPE (g);

  for (i = 0; i < g->nr_pda; ++i)
    if (strcmp (g->pda[i].key, key) == 0) {
      g->pda[i].data = data;
      return;
    }
  g->pda = minnow_int_safe_realloc (g, g->pda,
                                    (g->nr_pda + 1) * sizeof g->pda[0]);
  g->pda[g->nr_pda].key = minnow_int_safe_strdup (g, key);
  g->pda[g->nr_pda].data = data;
  g->nr_pda++;
}

void *
minnow_get_private (minnow_h *g, const char *key)
{
  size_t i;

  MINNOW_LOCK_FOR_SCOPE (g);

  for (i = 0; i < g->nr_pda; ++i)
    if (strcmp (g->pda[i].key, key) == 0)
      return g->pda[i].data;
  return NULL;
}

/* Iteration skips keys whose data was set to NULL, as libguestfs's
 * does. */
void *
minnow_next_private (minnow_h *g, const char **key_rtn)
{
  MINNOW_LOCK_FOR_SCOPE (g);
  while (g->pda_next < g->nr_pda) {
    struct pda_entry *e = &g->pda[g->pda_next++];

    if (e->data != NULL) {
      *key_rtn = e->key;
      return e->data;
    }
  }
  *key_rtn = NULL;
  return NULL;
}

void *
minnow_first_private (minnow_h *g, const char **key_rtn)
{
  MINNOW_LOCK_FOR_SCOPE (g);
  g->pda_next = 0;
  return minnow_next_private (g, key_rtn);
}
