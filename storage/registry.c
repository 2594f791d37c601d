/* minnow storage: the engine registry and what every engine shares.
 *
 * Adding an engine: write storage/engines/NAME/ against engine.h, add
 * its ops table to engine_list below (probing order: the first engine
 * whose probe says yes serves the range) and its sources to
 * storage/Makefile.am.  Nothing else in storage/ or the daemon names an
 * engine. */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

const struct engine_ops *const engine_list[] = {
  &engine_ext2_ops, &engine_fat_ops, &engine_iso9660_ops, NULL
};

const struct engine_ops *
engine_probe (const struct engine_range *range, const char **type_r)
{
  size_t i;

  for (i = 0; engine_list[i]; i++)
    if (engine_list[i]->probe (range, type_r))
      return engine_list[i];
  return NULL;
}

const struct engine_ops *
engine_for_type (const char *fstype)
{
  size_t i, j;

  for (i = 0; engine_list[i]; i++)
    for (j = 0; engine_list[i]->mkfs_types
           && engine_list[i]->mkfs_types[j]; j++)
      if (strcmp (engine_list[i]->mkfs_types[j], fstype) == 0)
        return engine_list[i];
  return NULL;
}

const struct engine_ops *
engine_for_mount_type (const char *vfstype)
{
  size_t i, j;

  for (i = 0; engine_list[i]; i++)
    for (j = 0; engine_list[i]->mount_types
           && engine_list[i]->mount_types[j]; j++)
      if (strcmp (engine_list[i]->mount_types[j], vfstype) == 0)
        return engine_list[i];
  return NULL;
}

int
engine_uuid_string (struct engine_fs *fs, char **uuid_r)
{
  unsigned char u[16];
  int r;

  if (fs->ops->get_uuid_string)
    return fs->ops->get_uuid_string (fs, uuid_r);
  r = fs->ops->get_uuid (fs, u);
  if (r < 0)
    return r;
  if (asprintf (uuid_r, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4],
                u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                u[14], u[15]) == -1)
    return -ENOMEM;
  return 0;
}

const char *
engine_last_error (struct engine_fs *efs)
{
  return efs->last_error;
}

static char engine_note_text[256];
static char engine_note_taken[256];

void
engine_note (const char *msg)
{
  snprintf (engine_note_text, sizeof engine_note_text, "%s", msg);
}

const char *
engine_take_note (void)
{
  memcpy (engine_note_taken, engine_note_text, sizeof engine_note_taken);
  engine_note_text[0] = '\0';
  return engine_note_taken;
}
