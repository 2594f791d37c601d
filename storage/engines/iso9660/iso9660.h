/* minnow: the ISO 9660 engine (read-only), with Rock Ridge and Joliet.
 *
 * Written from ECMA-119 (ISO 9660), IEEE P1281 (SUSP 1.12), IEEE P1282
 * (RRIP 1.12) and Microsoft's Joliet specification.
 *
 * ISO 9660 has no inodes: as the Linux kernel does, an inode number is
 * the byte offset (from the start of the filesystem) of the directory
 * record that describes the file; the root's is the offset of the root
 * record in the volume descriptor in use.  Every inode that lookup or
 * readdir hands out is kept in a node table, so getattr, pread and
 * readlink never re-parse a directory.
 *
 * The image is untrusted: every length is checked against the range,
 * continuation areas, directory sizes, depth and the number of nodes
 * are bounded, and a directory whose extent is one of its ancestors' is
 * refused (EUCLEAN), so no tree walk above can loop.
 */

#ifndef MINNOW_ISO9660_H
#define MINNOW_ISO9660_H

#include <stdint.h>
#include <stddef.h>

#include "engine.h"
#include "engine-iso9660.h"


/* Bounds against hostile images (documented in iso9660.h only). */
#define ISO_MAX_VDS 64                  /* volume descriptors scanned */
#define ISO_MAX_DIR_BYTES (64u << 20)   /* one directory's extent */
#define ISO_MAX_CE 32                   /* SUSP continuation areas per record */
#define ISO_MAX_SUSP_BYTES (256u << 10) /* SUSP bytes per record, CE included */
#define ISO_MAX_DEPTH 1024              /* directory nesting */
#define ISO_MAX_NODES (4u << 20)        /* inodes handed out per mount */
#define ISO_MAX_EXTENTS 65536           /* extents of one multi-extent file */
#define ISO_MAX_NAME 1024               /* bytes of one name (RR NM) */
#define ISO_MAX_SYMLINK 4096            /* bytes of one symlink target */

/* Which directory tree the mount shows. */
enum iso_tree { ISO_TREE_PLAIN, ISO_TREE_JOLIET, ISO_TREE_ROCKRIDGE };

struct iso_extent {
  uint64_t start;                       /* byte offset in the filesystem */
  uint64_t len;
};

struct iso_dirent {                     /* one visible entry of a directory */
  char *name;
  uint64_t ino;
};

struct iso_node {
  uint64_t ino;
  uint64_t parent;                      /* ino of the parent directory */
  unsigned depth;                       /* root: 0 */
  struct engine_stat st;
  struct iso_extent *extents;           /* data (directory: its records) */
  size_t n_extents;
  char *symlink;                        /* RR SL target, or NULL */
  int zisofs;                           /* RR ZF: compressed by zisofs */
  uint64_t zisofs_size;

  /* Directories: the children, sorted by name, once loaded. */
  int loaded;
  struct iso_dirent *children;
  size_t n_children;
};

struct iso_fs {
  struct engine_fs base;
  struct engine_range range;
  enum iso_tree tree;
  unsigned susp_skip;                   /* SUSP LEN_SKP (Rock Ridge) */
  struct iso_voldesc pvd;
  uint64_t root_ino;
  uint32_t block_size;                  /* logical block size (2048) */
  char *joliet_label;                   /* Joliet volume id, or NULL */
  unsigned char *zcache;                /* one decompressed zisofs block */
  size_t zcache_size, zcache_len;
  uint64_t zcache_ino, zcache_block;

  /* Nodes by ino: open addressing, linear probing. */
  struct iso_node **table;
  size_t table_size, n_nodes;

  /* Directories listed so far, by the byte offset of their records:
   * two directories sharing records would make a tree walk exponential
   * (see iso_load_dir). */
  uint64_t *dir_keys, *dir_inos;        /* key 0: free slot */
  size_t dir_size, n_dirs;
};

#define ISO(efs) ((struct iso_fs *) (efs))

/* iso-volume.c */
int iso_read (struct iso_fs *fs, uint64_t off, void *buf, size_t len);
int iso_fail (struct iso_fs *fs, int err, const char *fmt, ...)
  __attribute__((format (printf, 3, 4)));

/* iso-dir.c: directory records, SUSP and Rock Ridge, the node table. */
struct iso_node *iso_node_get (struct iso_fs *fs, uint64_t ino);
int iso_make_root (struct iso_fs *fs, uint64_t rec_off);
int iso_load_dir (struct iso_fs *fs, struct iso_node *dir);
void iso_free_nodes (struct iso_fs *fs);
int iso_dirent_cmp (const void *a, const void *b);
int64_t iso_time7 (const unsigned char *p);
int64_t iso_time17 (const char *p, int *valid_r);
int iso_root_has_susp (struct iso_fs *fs, uint64_t root_rec, unsigned *skip_r);

/* iso-names.c */
char *iso_plain_name (const unsigned char *id, size_t len);
char *iso_joliet_name (const unsigned char *id, size_t len);
char *iso_joliet_string (const unsigned char *id, size_t len);

#endif /* MINNOW_ISO9660_H */
