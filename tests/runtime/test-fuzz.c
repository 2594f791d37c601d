/* Protocol fuzzing: the daemon survives any message.
 *
 * With a fixed seed (MINNOW_FUZZ_SEED overrides it), build a valid call
 * for a random daemon procedure, mutate it (bit flips, truncation,
 * extension, a wrong length word, random optargs bits, procedure numbers,
 * header fields and XDR lengths, pipelined and interleaved flags, a
 * descriptor passed or announced, broken FileIn chunk streams) and send
 * it to a minnowd that has one 16 MiB sparse scratch drive.  A model of
 * the daemon's reader (docs/internals.md, "Protocol robustness") says
 * what must follow: the connection stays usable (a valid
 * internal_test_noop is then answered OK), the daemon ends the
 * connection (an oversized length, a broken chunk stream: it must exit,
 * not die by a signal) or it waits for the rest of a message (we close
 * our end: it must exit with status 0).  Then relaunch if needed and go
 * on.  Every wait is bounded: a hang is a failure, never a blocked test.
 *
 * Messages whose decoded arguments would make a call legitimately long
 * (internal_test_sleep/progress/fileout, fill, fill_pattern with big
 * numbers) are never sent: the goal is protocol robustness, not workload.
 *
 * MINNOW_FUZZ_ITERATIONS overrides the number of messages (fewer under
 * valgrind); MINNOW_FUZZ_SAVE=FILE saves the whole stream of the first
 * failure there. */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include "protocol-helpers.h"
#include "tap.h"

#define DEFAULT_SEED UINT64_C(0x6d696e6e6f77)     /* "minnow" */
#define DEFAULT_ITERATIONS 4000
#define VALGRIND_ITERATIONS 1500
/* How long a call may take before the daemon counts as hung. */
#define CALL_TIMEOUT_MS 5000
#define DRIVE_SIZE (16 << 20)
#define PROBE_SERIAL 0xF0000000u

/* ------------------------------------------------------------------ */
/* Random numbers: xorshift64*. */

static uint64_t rng_state;

static uint64_t
rnd64 (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(2685821657736338717);
}

static uint32_t
rnd (uint32_t n)                /* 0 .. n-1 */
{
  return n ? (uint32_t) ((rnd64 () >> 32) % n) : 0;
}

#define PICK(array) ((array)[rnd (sizeof (array) / sizeof (array)[0])])

/* ------------------------------------------------------------------ */
/* Every daemon procedure and its arguments, one letter per XDR field
 * (required ones, '|', optional ones):
 *   s String  F fstype  T parttype  C checksum type  X xattr name
 *   V internal_test_daemon value  k Key  d Device  m Mountable  p Pathname
 *   q Dev_or_Path  o OptString  l StringList  e DeviceList  b Bool
 *   i Int  I Int64  f BufferIn
 * The table is checked against rpcgen's decoders before fuzzing. */

struct proc {
  unsigned nr;
  const char *name;
  const char *sig;
  xdrproc_t args;               /* NULL: no arguments */
  size_t args_size;
};

#define N(UP, name) { MINNOW_PROC_##UP, #name, "|", NULL, 0 }
#define A(UP, name, sig) \
  { MINNOW_PROC_##UP, #name, sig, (xdrproc_t) xdr_minnow_##name##_args, \
    sizeof (struct minnow_##name##_args) }

static const struct proc procs[] = {
  N (LIST_DEVICES, list_devices),
  A (BLOCKDEV_GETSIZE64, blockdev_getsize64, "d|"),
  A (BLOCKDEV_GETSS, blockdev_getss, "d|"),
  A (PREAD_DEVICE, pread_device, "diI|"),
  A (PWRITE_DEVICE, pwrite_device, "dfI|"),
  N (SYNC, sync),
  N (LIST_PARTITIONS, list_partitions),
  A (PART_INIT, part_init, "dT|"),
  A (PART_DISK, part_disk, "dT|"),
  A (PART_ADD, part_add, "dsII|"),
  A (PART_DEL, part_del, "di|"),
  A (PART_LIST, part_list, "d|"),
  A (PART_GET_PARTTYPE, part_get_parttype, "d|"),
  A (PART_TO_DEV, part_to_dev, "d|"),
  A (PART_TO_PARTNUM, part_to_partnum, "d|"),
  A (PART_SET_NAME, part_set_name, "dis|"),
  A (PART_GET_NAME, part_get_name, "di|"),
  A (PART_SET_BOOTABLE, part_set_bootable, "dib|"),
  A (PART_GET_BOOTABLE, part_get_bootable, "di|"),
  A (PART_SET_MBR_ID, part_set_mbr_id, "dii|"),
  A (PART_GET_MBR_ID, part_get_mbr_id, "di|"),
  A (PART_SET_GPT_TYPE, part_set_gpt_type, "dis|"),
  A (PART_GET_GPT_TYPE, part_get_gpt_type, "di|"),
  A (PART_SET_GPT_GUID, part_set_gpt_guid, "dis|"),
  A (PART_GET_GPT_GUID, part_get_gpt_guid, "di|"),
  A (PART_GET_DISK_GUID, part_get_disk_guid, "d|"),
  A (BLOCKDEV_GETSZ, blockdev_getsz, "d|"),
  A (BLOCKDEV_FLUSHBUFS, blockdev_flushbufs, "d|"),
  A (ZERO, zero, "d|"),
  A (ZERO_DEVICE, zero_device, "d|"),
  A (WIPEFS, wipefs, "d|"),
  A (CANONICAL_DEVICE_NAME, canonical_device_name, "s|"),
  A (DEVICE_INDEX, device_index, "d|"),
  A (MKFS, mkfs, "Fd|isiis"),
  A (VFS_TYPE, vfs_type, "m|"),
  A (VFS_LABEL, vfs_label, "m|"),
  A (VFS_UUID, vfs_uuid, "m|"),
  A (SET_LABEL, set_label, "ms|"),
  A (SET_UUID, set_uuid, "ds|"),
  A (E2FSCK, e2fsck, "d|bb"),
  A (TUNE2FS_L, tune2fs_l, "d|"),
  A (STATVFS, statvfs, "p|"),
  N (LIST_FILESYSTEMS, list_filesystems),
  A (MOUNT, mount, "mp|"),
  A (MOUNT_RO, mount_ro, "mp|"),
  A (MOUNT_OPTIONS, mount_options, "smp|"),
  A (UMOUNT, umount, "q|bb"),
  N (UMOUNT_ALL, umount_all),
  N (MOUNTS, mounts),
  N (MOUNTPOINTS, mountpoints),
  A (TOUCH, touch, "p|"),
  A (CAT, cat, "p|"),
  A (READ_FILE, read_file, "p|"),
  A (READ_LINES, read_lines, "p|"),
  A (WRITE, write, "pf|"),
  A (WRITE_APPEND, write_append, "pf|"),
  A (PWRITE, pwrite, "pfI|"),
  A (PREAD, pread, "piI|"),
  A (TRUNCATE, truncate, "p|"),
  A (TRUNCATE_SIZE, truncate_size, "pI|"),
  A (FALLOCATE64, fallocate64, "pI|"),
  A (FILESIZE, filesize, "p|"),
  A (HEAD, head, "p|"),
  A (HEAD_N, head_n, "ip|"),
  A (TAIL, tail, "p|"),
  A (TAIL_N, tail_n, "ip|"),
  A (WC_L, wc_l, "p|"),
  A (WC_W, wc_w, "p|"),
  A (WC_C, wc_c, "p|"),
  A (EQUAL, equal, "pp|"),
  A (FILL, fill, "iip|"),
  A (FILL_PATTERN, fill_pattern, "sip|"),
  A (COPY_FILE_TO_FILE, copy_file_to_file, "pp|IIIb"),
  A (COPY_DEVICE_TO_DEVICE, copy_device_to_device, "dd|IIIb"),
  A (CP, cp, "pp|"),
  A (CP_A, cp_a, "pp|"),
  A (CP_R, cp_r, "pp|"),
  A (MV, mv, "pp|"),
  A (RENAME, rename, "pp|"),
  A (MKDIR, mkdir, "p|"),
  A (MKDIR_P, mkdir_p, "p|"),
  A (MKDIR_MODE, mkdir_mode, "pi|"),
  A (RMDIR, rmdir, "p|"),
  A (RM, rm, "p|"),
  A (RM_F, rm_f, "p|"),
  A (RM_RF, rm_rf, "p|"),
  A (LS, ls, "p|"),
  A (LL, ll, "p|"),
  A (READDIR, readdir, "p|"),
  A (FIND, find, "p|"),
  A (LN, ln, "sp|"),
  A (LN_F, ln_f, "sp|"),
  A (LN_S, ln_s, "sp|"),
  A (LN_SF, ln_sf, "sp|"),
  A (READLINK, readlink, "p|"),
  A (READLINKLIST, readlinklist, "pl|"),
  A (REALPATH, realpath, "p|"),
  A (EXISTS, exists, "p|"),
  A (IS_FILE, is_file, "p|b"),
  A (IS_DIR, is_dir, "p|b"),
  A (IS_BLOCKDEV, is_blockdev, "p|b"),
  A (IS_CHARDEV, is_chardev, "p|b"),
  A (IS_FIFO, is_fifo, "p|b"),
  A (IS_SOCKET, is_socket, "p|b"),
  A (IS_SYMLINK, is_symlink, "p|"),
  A (STATNS, statns, "p|"),
  A (LSTATNS, lstatns, "p|"),
  A (LSTATNSLIST, lstatnslist, "pl|"),
  A (CHMOD, chmod, "ip|"),
  A (CHOWN, chown, "iip|"),
  A (LCHOWN, lchown, "iip|"),
  A (UTIMENS, utimens, "pIIII|"),
  A (UMASK, umask, "i|"),
  A (DU, du, "p|"),
  A (MKNOD, mknod, "iiip|"),
  A (MKNOD_B, mknod_b, "iiip|"),
  A (MKNOD_C, mknod_c, "iiip|"),
  A (MKFIFO, mkfifo, "ip|"),
  A (CHECKSUM, checksum, "Cp|"),
  A (GETXATTRS, getxattrs, "p|"),
  A (LGETXATTRS, lgetxattrs, "p|"),
  A (SETXATTR, setxattr, "XVip|"),
  A (LSETXATTR, lsetxattr, "XVip|"),
  A (REMOVEXATTR, removexattr, "Xp|"),
  A (LREMOVEXATTR, lremovexattr, "Xp|"),
  A (GETXATTR, getxattr, "ps|"),
  A (LGETXATTR, lgetxattr, "ps|"),
  A (INTERNAL_TEST_DAEMON, internal_test_daemon, "solbiIfdmpqek|biIsl"),
  A (INTERNAL_TEST_DAEMON_RINT, internal_test_daemon_rint, "V|"),
  A (INTERNAL_TEST_DAEMON_RINT64, internal_test_daemon_rint64, "V|"),
  A (INTERNAL_TEST_DAEMON_RBOOL, internal_test_daemon_rbool, "V|"),
  A (INTERNAL_TEST_DAEMON_RSTRING, internal_test_daemon_rstring, "V|"),
  A (INTERNAL_TEST_DAEMON_RSTRINGLIST, internal_test_daemon_rstringlist, "V|"),
  A (INTERNAL_TEST_DAEMON_RSTRUCT, internal_test_daemon_rstruct, "V|"),
  A (INTERNAL_TEST_DAEMON_RSTRUCTLIST, internal_test_daemon_rstructlist, "V|"),
  A (INTERNAL_TEST_DAEMON_RHASHTABLE, internal_test_daemon_rhashtable, "V|"),
  A (INTERNAL_TEST_DAEMON_RBUFFEROUT, internal_test_daemon_rbufferout, "V|"),
  N (INTERNAL_TEST_FILEIN, internal_test_filein),
  A (INTERNAL_TEST_FILEOUT, internal_test_fileout, "I|"),
  A (INTERNAL_TEST_PROGRESS, internal_test_progress, "i|"),
  N (INTERNAL_TEST_NOOP, internal_test_noop),
  A (INTERNAL_TEST_SLEEP, internal_test_sleep, "i|"),
};
#undef N
#undef A

#define NR_PROCS (sizeof procs / sizeof procs[0])

static const struct proc *
find_proc (unsigned nr)
{
  size_t i;

  for (i = 0; i < NR_PROCS; ++i)
    if (procs[i].nr == nr)
      return &procs[i];
  return NULL;
}

/* ------------------------------------------------------------------ */
/* A growing byte buffer, with the offsets of the XDR length words and
 * of the number fields written into it (for targeted mutations). */

#define MAX_MARKS 64

struct buf {
  unsigned char *p;
  size_t len, cap;
  size_t lens[MAX_MARKS], nr_lens;      /* string/opaque/array lengths */
  size_t nums[MAX_MARKS], nr_nums;      /* Int, Int64, Bool */
};

static void
buf_reserve (struct buf *b, size_t n)
{
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2;
    b->p = realloc (b->p, b->cap);
    if (b->p == NULL) {
      printf ("Bail out! out of memory\n");
      exit (EXIT_FAILURE);
    }
  }
}

static void
buf_reset (struct buf *b)
{
  b->len = b->nr_lens = b->nr_nums = 0;
}

static void
buf_add (struct buf *b, const void *data, size_t n)
{
  buf_reserve (b, n);
  if (n)
    memcpy (b->p + b->len, data, n);
  b->len += n;
}

static void
buf_u32 (struct buf *b, uint32_t v)
{
  buf_reserve (b, 4);
  put32 ((char *) b->p + b->len, v);
  b->len += 4;
}

static void
buf_u64 (struct buf *b, uint64_t v)
{
  buf_u32 (b, (uint32_t) (v >> 32));
  buf_u32 (b, (uint32_t) v);
}

static void
mark (size_t *marks, size_t *nr, size_t off)
{
  if (*nr < MAX_MARKS)
    marks[(*nr)++] = off;
}

static void
buf_opaque (struct buf *b, const void *data, size_t n)
{
  static const char zeroes[4];

  mark (b->lens, &b->nr_lens, b->len);
  buf_u32 (b, (uint32_t) n);
  buf_add (b, data, n);
  buf_add (b, zeroes, (4 - (n & 3)) & 3);
}

static void
buf_random (struct buf *b, size_t n)
{
  size_t i;

  buf_reserve (b, n);
  for (i = 0; i < n; ++i)
    b->p[b->len++] = (unsigned char) rnd64 ();
}

static uint32_t
get32 (const unsigned char *p)
{
  uint32_t v;

  memcpy (&v, p, 4);
  return ntohl (v);
}

/* ------------------------------------------------------------------ */
/* Plausible values: mostly ones the daemon accepts, some it must
 * refuse. */

static char long_path[5000], long_string[1200];

static const char *devices[] = {
  "/dev/sda", "/dev/sda", "/dev/sda", "/dev/sda", "/dev/sda1",
  "/dev/sda2", "/dev/sda5", "/dev/vda", "/dev/hda1", "/dev/sdb",
  "/dev/sda0", "/dev/sda99999999999999999999", "/dev/", "/dev/sd", "sda",
  "", "/dev/sda/../sda", "/dev/xvda1", "/dev/sda-1",
};
static const char *paths[] = {
  "/", "/", "/a", "/a/b", "/a/f", "/a/l", "/b", "/lost+found",
  "/a/../a/f", "//a", "/a/", "/no/such", "/a/f/x", "/.", "/..",
  "/a/b/c/d/e", "/a/b/../../../..", "", "a", "/dev/sda", long_path + 4700,
  long_path,
};
static const char *strings[] = {
  "", "x", "ext4", "ro", "gpt", "mbr", "primary", "user.a", "hello\n",
  "\xff\xfe", "%s%n%x%p", "a,b", "0", "-1", "1", "4096", "/", "/a/f",
  "/dev/sda", "01234567-89ab-cdef-0123-456789abcdef", "clear", "random",
  "ro,noatime", "rw", "label", long_string,
};
static const char *fstypes[] = {
  "ext2", "ext3", "ext4", "ext4", "vfat", "", "btrfs", "ext",
};
static const char *parttypes[] = { "mbr", "gpt", "msdos", "loop", "", "dos" };
static const char *csumtypes[] = {
  "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "crc", "", "xx",
};
static const char *xattrs[] = {
  "user.a", "user.b", "trusted.x", "security.selinux", "", "user.", "a",
};
static const char *test_vals[] = {
  "0", "1", "2", "3", "5", "10", "100", "1000", "100000", "-1", "true",
  "false", "error:ENOENT", "error:EIO", "error:BOGUS", "x",
  "99999999999999999999", "",
};
static const int32_t ints[] = {
  0, 1, 2, 3, 4, 7, 8, 255, 256, 0644, 0755, 01777, 512, 4096, 65535, -1,
  -2, INT32_MAX, INT32_MIN,
};
static const int64_t int64s[] = {
  0, 1, 511, 512, 4096, 1 << 20, 16 << 20, (16 << 20) - 1, -1, INT64_MAX,
  INT64_MIN, INT64_C(1) << 40,
};

static void
put_string (struct buf *b, const char *s)
{
  buf_opaque (b, s, strlen (s));
}

static const char *
gen_device (void)
{
  return PICK (devices);
}

static const char *
gen_path (void)
{
  return PICK (paths);
}

static const char *
gen_string (void)
{
  return PICK (strings);
}

static int32_t
gen_int (void)
{
  return rnd (5) ? PICK (ints) : (int32_t) rnd64 ();
}

static int64_t
gen_int64 (void)
{
  return rnd (5) ? PICK (int64s) : (int64_t) rnd64 ();
}

/* Procedures whose numbers would make a call long: values the
 * generator uses, and the limits the model enforces after mutation. */
static int
bounded_int (unsigned proc, int argi, int32_t *v)
{
  switch (proc) {
  case MINNOW_PROC_INTERNAL_TEST_SLEEP: *v = rnd (20); return 1;
  case MINNOW_PROC_INTERNAL_TEST_PROGRESS: *v = rnd (4); return 1;
  case MINNOW_PROC_FILL:
  case MINNOW_PROC_FILL_PATTERN:
    if (argi == 1) {
      *v = rnd (2) ? (int32_t) rnd (100000) : -(int32_t) rnd (3);
      return 1;
    }
    return 0;
  default: return 0;
  }
}

/* Encodes valid arguments for p.  Returns the number of optargs. */
static unsigned
gen_args (struct buf *b, const struct proc *p)
{
  const char *c;
  int argi = 0, opt = 0;
  unsigned nr_opt = 0;

  for (c = p->sig; *c; ++c, ++argi) {
    size_t i, n;
    int32_t v;

    if (*c == '|') {
      opt = 1;
      argi = -1;
      continue;
    }
    nr_opt += opt;
    switch (*c) {
    case 's': case 'k': put_string (b, gen_string ()); break;
    case 'F': put_string (b, PICK (fstypes)); break;
    case 'T': put_string (b, PICK (parttypes)); break;
    case 'C': put_string (b, PICK (csumtypes)); break;
    case 'X': put_string (b, PICK (xattrs)); break;
    case 'V': put_string (b, PICK (test_vals)); break;
    case 'd': put_string (b, gen_device ()); break;
    case 'p': put_string (b, gen_path ()); break;
    case 'm': case 'q':
      put_string (b, rnd (2) ? gen_device () : gen_path ());
      break;
    case 'o':
      mark (b->nums, &b->nr_nums, b->len);
      if (rnd (3) == 0)
        buf_u32 (b, 0);
      else {
        buf_u32 (b, 1);
        put_string (b, gen_string ());
      }
      break;
    case 'l': case 'e':
      n = rnd (4);
      mark (b->lens, &b->nr_lens, b->len);
      buf_u32 (b, (uint32_t) n);
      for (i = 0; i < n; ++i)
        put_string (b, *c == 'l' ? gen_string () : gen_device ());
      break;
    case 'b':
      mark (b->nums, &b->nr_nums, b->len);
      buf_u32 (b, rnd (2));
      break;
    case 'i':
      mark (b->nums, &b->nr_nums, b->len);
      if (opt || !bounded_int (p->nr, argi, &v))
        v = gen_int ();
      buf_u32 (b, (uint32_t) v);
      break;
    case 'I':
      mark (b->nums, &b->nr_nums, b->len);
      if (p->nr == MINNOW_PROC_INTERNAL_TEST_FILEOUT)
        buf_u64 (b, rnd (4) ? rnd (200000) : (uint64_t) -1);
      else
        buf_u64 (b, (uint64_t) gen_int64 ());
      break;
    case 'f': {
      struct buf tmp = { 0 };

      n = rnd (8) ? rnd (65) : 1000 + rnd (70000);
      buf_random (&tmp, n);
      buf_opaque (b, tmp.p, n);
      free (tmp.p);
      break;
    }
    default:
      abort ();
    }
  }
  return nr_opt;
}

/* Offsets in a framed call (length word included). */
#define OFF_PROG 4
#define OFF_VERS 8
#define OFF_PROC 12
#define OFF_DIRECTION 16
#define OFF_SERIAL 20
#define OFF_STATUS 24
#define OFF_HINT 28
#define OFF_BITMASK 32
#define OFF_FD_COUNT 40
#define OFF_ARGS 44

static void
put_header (struct buf *b, unsigned proc, uint32_t serial, uint64_t bitmask)
{
  buf_u32 (b, 0);               /* the length, set by fix_length */
  buf_u32 (b, MINNOW_PROGRAM);
  buf_u32 (b, MINNOW_PROTOCOL_VERSION);
  buf_u32 (b, proc);
  buf_u32 (b, MINNOW_DIRECTION_CALL);
  buf_u32 (b, serial);
  buf_u32 (b, MINNOW_STATUS_OK);
  buf_u32 (b, rnd (4) == 0);    /* progress_hint */
  buf_u64 (b, bitmask);
  buf_u32 (b, 0);               /* fd_count */
}

static void
fix_length (struct buf *b, size_t start)
{
  put32 ((char *) b->p + start, (uint32_t) (b->len - start - 4));
}

/* A valid call of p, appended to b. */
static void
gen_call (struct buf *b, const struct proc *p)
{
  size_t start = b->len;
  unsigned nr_opt;

  put_header (b, p->nr, (uint32_t) rnd64 () & ~PROBE_SERIAL, 0);
  nr_opt = gen_args (b, p);
  if (nr_opt) {
    uint64_t all = (UINT64_C(1) << nr_opt) - 1, bits = rnd64 () & all;

    put32 ((char *) b->p + start + OFF_BITMASK + 4, (uint32_t) bits);
  }
  fix_length (b, start);
}

/* A FileIn chunk. */
static void
gen_chunk (struct buf *b, int cancel, size_t n)
{
  struct buf tmp = { 0 };
  size_t start = b->len;

  buf_u32 (b, 0);
  buf_u32 (b, cancel);
  buf_random (&tmp, n);
  buf_opaque (b, tmp.p, n);
  free (tmp.p);
  fix_length (b, start);
}

/* ------------------------------------------------------------------ */
/* Mutations. */

static const uint32_t interesting[] = {
  0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0xfffffffe, 0xffffffff, MINNOW_MESSAGE_MAX,
  MINNOW_MESSAGE_MAX + 1, MINNOW_CHUNK_MAX, MINNOW_CHUNK_MAX + 1,
  MINNOW_ERROR_LEN, MINNOW_LAUNCH_FLAG, MINNOW_PROGRESS_FLAG,
  MINNOW_CANCEL_FLAG, MINNOW_PROGRAM,
};

static uint32_t
gen_word (void)
{
  return rnd (2) ? PICK (interesting) : (uint32_t) rnd64 ();
}

static void
set32 (struct buf *b, size_t off, uint32_t v)
{
  if (off + 4 <= b->len)
    put32 ((char *) b->p + off, v);
}

/* Mutates the message at b[start..]; *pass_fd is set when a descriptor
 * should travel with the stream.  Appends a word about it to what. */
static void
mutate (struct buf *b, size_t start, int *pass_fd, char *what, size_t wn)
{
  size_t len = b->len - start, off, i, n;
  uint32_t v;
  const char *name = "";

  switch (rnd (16)) {
  case 0:                       /* flip bits */
    n = 1 + rnd (8);
    for (i = 0; i < n; ++i) {
      off = start + rnd (len);
      b->p[off] ^= (unsigned char) (1 << rnd (8));
    }
    name = "bitflip";
    break;
  case 1:                       /* truncate, the length word unchanged */
    b->len = start + rnd (len);
    name = "truncate";
    break;
  case 2:                       /* truncate and say so */
    if (len > 4) {
      b->len = start + 4 + rnd (len - 4);
      fix_length (b, start);
    }
    name = "truncate+length";
    break;
  case 3:                       /* trailing bytes: a next "message" */
    buf_random (b, rnd (65));
    name = "extend";
    break;
  case 4:                       /* trailing bytes inside the message */
    buf_random (b, rnd (65));
    fix_length (b, start);
    name = "extend+length";
    break;
  case 5:                       /* the length word */
    v = rnd (3) ? gen_word () : (uint32_t) (len - 4 + rnd (17) - 8);
    set32 (b, start, v);
    name = "length";
    break;
  case 6:                       /* optargs bitmask */
    set32 (b, start + OFF_BITMASK, rnd (2) ? (uint32_t) rnd64 () : 0);
    set32 (b, start + OFF_BITMASK + 4, rnd (2) ? (uint32_t) rnd64 ()
           : (uint32_t) 1 << rnd (32));
    name = "bitmask";
    break;
  case 7:                       /* procedure number */
    switch (rnd (4)) {
    case 0: v = (uint32_t) rnd64 (); break;
    case 1: v = procs[rnd (NR_PROCS)].nr; break;
    case 2: v = rnd (1024); break;
    default: v = gen_word (); break;
    }
    set32 (b, start + OFF_PROC, v);
    name = "proc";
    break;
  case 8:                       /* an XDR length inside the arguments */
    if (b->nr_lens == 0)
      goto flip_word;
    off = b->lens[rnd (b->nr_lens)];
    if (off < start || off + 4 > b->len)
      goto flip_word;
    v = get32 (b->p + off);
    switch (rnd (3)) {
    case 0: v = gen_word (); break;
    case 1: v += rnd (17) - 8; break;
    default: v = (uint32_t) (b->len - off) + rnd (9) - 4; break;
    }
    set32 (b, off, v);
    name = "xdr-length";
    break;
  case 9:                       /* a header field */
    off = start + 4 * (1 + rnd (10));
    set32 (b, off, gen_word ());
    if (rnd (2))
      set32 (b, start + OFF_FD_COUNT, rnd (3));
    name = "header";
    break;
  case 10:                      /* a number inside the arguments */
    if (b->nr_nums == 0)
      goto flip_word;
    off = b->nums[rnd (b->nr_nums)];
    if (off < start)
      goto flip_word;
    set32 (b, off, gen_word ());
    name = "xdr-number";
    break;
  case 11:                      /* pipelined: the same call again */
    n = b->len - start;
    buf_reserve (b, n);
    memcpy (b->p + b->len, b->p + start, n);
    b->len += n;
    name = "twice";
    break;
  case 12: {                    /* a flag in front of the message */
    struct buf tmp = { 0 };

    v = rnd (3);
    buf_u32 (&tmp, v == 0 ? MINNOW_CANCEL_FLAG
             : v == 1 ? MINNOW_LAUNCH_FLAG : MINNOW_PROGRESS_FLAG);
    if (v == 2)
      buf_random (&tmp, 24);
    buf_add (&tmp, b->p + start, len);
    b->len = start;
    buf_add (b, tmp.p, tmp.len);
    free (tmp.p);
    name = "flag";
    break;
  }
  case 13:                      /* a descriptor, announced or not */
    *pass_fd = rnd (4) != 0;
    set32 (b, start + OFF_FD_COUNT, rnd (4) ? 1 : rnd (3));
    name = "fd";
    break;
  case 14:                      /* garbage with a plausible length */
    b->len = start;
    n = rnd (4) ? rnd (64) : rnd (5000);
    buf_u32 (b, (uint32_t) n);
    buf_random (b, n);
    name = "garbage";
    break;
  default:
  flip_word:                    /* any word */
    if (len >= 4) {
      off = start + (rnd (len / 4) * 4);
      set32 (b, off, gen_word ());
    }
    name = "word";
    break;
  }
  n = strlen (what);
  snprintf (what + n, wn - n, "%s%s", n ? "," : "", name);
}

/* ------------------------------------------------------------------ */
/* A model of the daemon's reader: what the daemon does with a byte
 * stream, starting between messages. */

enum mstate {
  M_IDLE,                       /* between messages: it serves calls */
  M_PARTIAL,                    /* waiting for the rest of an item */
  M_FILEIN,                     /* inside a FileIn stream */
  M_DEAD,                       /* it ends the connection */
};

struct model {
  enum mstate state;
  size_t missing;               /* M_PARTIAL: bytes still needed */
  int unsafe;                   /* a call would take long */
  int fds;                      /* descriptors queued in the daemon */
  unsigned calls;               /* calls it will serve */
};

/* Whether a decoded call is one of the long ones. */
static int
call_is_long (unsigned proc, const char *args, size_t len)
{
  const struct proc *p = find_proc (proc);
  void *a;
  XDR xdr;
  int r = 0;

  if (p == NULL || p->args == NULL)
    return 0;
  switch (proc) {
  case MINNOW_PROC_INTERNAL_TEST_SLEEP:
  case MINNOW_PROC_INTERNAL_TEST_PROGRESS:
  case MINNOW_PROC_INTERNAL_TEST_FILEOUT:
  case MINNOW_PROC_FILL:
  case MINNOW_PROC_FILL_PATTERN:
    break;
  default:
    return 0;
  }
  a = calloc (1, p->args_size);
  if (a == NULL)
    abort ();
  xdrmem_create (&xdr, (char *) args, len, XDR_DECODE);
  if (p->args (&xdr, a, 0)) {
    switch (proc) {
    case MINNOW_PROC_INTERNAL_TEST_SLEEP:
      r = ((struct minnow_internal_test_sleep_args *) a)->milliseconds > 100;
      break;
    case MINNOW_PROC_INTERNAL_TEST_PROGRESS:
      r = ((struct minnow_internal_test_progress_args *) a)->steps > 10;
      break;
    case MINNOW_PROC_INTERNAL_TEST_FILEOUT:
      r = ((struct minnow_internal_test_fileout_args *) a)->size > (1 << 20);
      break;
    case MINNOW_PROC_FILL:
      r = ((struct minnow_fill_args *) a)->length > (4 << 20);
      break;
    case MINNOW_PROC_FILL_PATTERN:
      r = ((struct minnow_fill_pattern_args *) a)->length > (4 << 20);
      break;
    }
  }
  xdr_destroy (&xdr);
  xdr_free (p->args, a);
  free (a);
  return r;
}

static void
model_run (const unsigned char *p, size_t n, int fd_passed, struct model *m)
{
  size_t pos = 0;

  m->state = M_IDLE;
  m->missing = 0;
  m->unsafe = 0;
  m->calls = 0;
  if (fd_passed && m->fds < MINNOW_RBUF_MAX_FDS)
    m->fds++;
  while (pos < n) {
    size_t avail = n - pos;
    uint32_t word;
    minnow_message_header hdr;
    int hpos, cancel;
    const char *msg, *data;
    size_t data_len;

    if (avail < 4) {
      m->missing = 4 - avail;
      m->state = M_PARTIAL;
      return;
    }
    word = get32 (p + pos);
    if (word == MINNOW_LAUNCH_FLAG || word == MINNOW_CANCEL_FLAG) {
      if (m->state == M_FILEIN && word == MINNOW_LAUNCH_FLAG) {
        m->state = M_DEAD;
        return;
      }
      pos += 4;
      continue;
    }
    if (word == MINNOW_PROGRESS_FLAG) {
      if (avail < MINNOW_PROGRESS_SIZE) {
        m->missing = MINNOW_PROGRESS_SIZE - avail;
        m->state = M_PARTIAL;
        return;
      }
      if (m->state == M_FILEIN) {
        m->state = M_DEAD;
        return;
      }
      pos += MINNOW_PROGRESS_SIZE;
      continue;
    }
    if (word > MINNOW_MESSAGE_MAX) {
      m->state = M_DEAD;
      return;
    }
    if (avail - 4 < word) {
      m->missing = word - (avail - 4);
      m->state = M_PARTIAL;
      return;
    }
    msg = (const char *) p + pos + 4;
    pos += 4 + word;
    if (m->state == M_FILEIN) {
      if (minnow_decode_chunk (msg, word, &cancel, &data, &data_len) == -1) {
        m->state = M_DEAD;
        return;
      }
      if (cancel || data_len == 0)
        m->state = M_IDLE;
      continue;
    }
    hpos = minnow_decode_header (msg, word, &hdr);
    if (hpos == -1 || hdr.prog != MINNOW_PROGRAM ||
        hdr.vers != MINNOW_PROTOCOL_VERSION ||
        hdr.direction != MINNOW_DIRECTION_CALL ||
        hdr.status != MINNOW_STATUS_OK || hdr.fd_count > 1)
      continue;                 /* an error reply */
    if (hdr.fd_count == 1) {
      if (m->fds == 0)
        continue;               /* an error reply */
      m->fds--;                 /* taken, and closed after the call */
    }
    m->calls++;
    if (hdr.proc == MINNOW_PROC_INTERNAL_TEST_FILEIN)
      m->state = M_FILEIN;
    else if (call_is_long (hdr.proc, msg + hpos, word - hpos))
      m->unsafe = 1;
  }
}

/* ------------------------------------------------------------------ */
/* Talking to the daemon without ever blocking: output is written as
 * the socket accepts it while replies are read (and dropped) as they
 * come, and the daemon's stderr is drained. */

struct session {
  struct daemon d;
  int up;
  int eof;                      /* the daemon closed the connection */
  uint32_t want_serial;         /* the reply waited for */
  unsigned want_proc;
  int got;                      /* 0: not yet, 1: OK, 2: error reply */
  int err_eof;
  char err_tail[256];           /* the end of the daemon's stderr */
};

static const char *daemon_path;
static unsigned long replies[2];        /* error, OK */
static int drive_fd = -1, null_fd = -1;

static int64_t
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
take_items (struct session *s)
{
  enum minnow_wire_kind kind;
  const char *msg;
  uint32_t len;
  int r;

  while ((r = minnow_rbuf_next (&s->d.rbuf, &kind, &msg, &len)) != 0) {
    minnow_message_header hdr;

    if (r == -1) {              /* never from a sane daemon */
      tap_diag ("the daemon sent a length word of %" PRIu32, len);
      minnow_rbuf_reset (&s->d.rbuf);
      s->eof = 1;
      return;
    }
    if (kind != MINNOW_WIRE_MESSAGE)
      continue;
    if (minnow_decode_header (msg, len, &hdr) == -1 ||
        hdr.direction != MINNOW_DIRECTION_REPLY)
      continue;                 /* a FileOut chunk */
    replies[hdr.status == MINNOW_STATUS_OK]++;
    if (hdr.proc == s->want_proc && hdr.serial == s->want_serial &&
        s->got == 0)
      s->got = hdr.status == MINNOW_STATUS_OK ? 1 : 2;
  }
}

static void
drain_stderr (struct session *s)
{
  char buf[4096];
  ssize_t n = read (s->d.err_fd, buf, sizeof buf);
  size_t keep, tail = strlen (s->err_tail);

  if (n <= 0) {
    if (n == 0 || errno != EINTR)
      s->err_eof = 1;
    return;
  }
  if (getenv ("VERBOSE"))
    fprintf (stderr, "%.*s", (int) n, buf);
  if ((size_t) n >= sizeof s->err_tail - 1) {
    memcpy (s->err_tail, buf + n - (sizeof s->err_tail - 1),
            sizeof s->err_tail - 1);
    s->err_tail[sizeof s->err_tail - 1] = '\0';
    return;
  }
  keep = sizeof s->err_tail - 1 - n;
  if (tail > keep) {
    memmove (s->err_tail, s->err_tail + tail - keep, keep);
    tail = keep;
  }
  memcpy (s->err_tail + tail, buf, n);
  s->err_tail[tail + n] = '\0';
}

/* One round: waits at most timeout_ms for something to do.  Returns 0,
 * or -1 when nothing happened in time. */
static int
pump (struct session *s, const unsigned char *out, size_t len, size_t *done,
      int *fd, int timeout_ms)
{
  struct pollfd p[2];
  int sending = out && *done < len && !s->eof;

  p[0].fd = s->d.sock;
  p[0].events = (s->eof ? 0 : POLLIN) | (sending ? POLLOUT : 0);
  p[1].fd = s->err_eof ? -1 : s->d.err_fd;
  p[1].events = POLLIN;
  p[0].revents = p[1].revents = 0;
  if (poll (p, 2, timeout_ms) <= 0)
    return -1;
  if (p[1].revents)
    drain_stderr (s);
  if (sending && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
    union {
      char buf[CMSG_SPACE (sizeof (int))];
      struct cmsghdr align;
    } control;
    struct msghdr mh;
    struct iovec iov = { (void *) (out + *done), len - *done };
    ssize_t r;

    memset (&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (*fd >= 0) {
      struct cmsghdr *cm;

      memset (&control, 0, sizeof control);
      mh.msg_control = control.buf;
      mh.msg_controllen = sizeof control.buf;
      cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (cm), fd, sizeof *fd);
    }
    r = sendmsg (s->d.sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r > 0) {
      *done += r;
      *fd = -1;
    }
    else if (r == -1 && errno != EAGAIN && errno != EINTR)
      *done = len;              /* the daemon is gone: EPIPE, ECONNRESET */
  }
  if (!s->eof && (p[0].revents & (POLLIN | POLLERR | POLLHUP))) {
    ssize_t r = minnow_rbuf_fill (&s->d.rbuf, s->d.sock, MSG_DONTWAIT);

    if (r > 0)
      take_items (s);
    else if (r == 0 || (errno != EAGAIN && errno != EINTR))
      s->eof = 1;
  }
  return 0;
}

/* Sends a stream.  Returns 0, or -1 when the daemon stopped reading
 * (a hang) for timeout_ms. */
static int
send_stream (struct session *s, const unsigned char *out, size_t len,
             int fd, int timeout_ms)
{
  size_t done = 0;
  int64_t deadline = now_ms () + timeout_ms;

  while (done < len && !s->eof) {
    int64_t left = deadline - now_ms ();

    if (left <= 0 || pump (s, out, len, &done, &fd, (int) left) == -1)
      return -1;
  }
  return 0;
}

/* Waits until s->got is set or the connection ends: 1 (OK reply), 2
 * (error reply), 0 (end), -1 (timeout). */
static int
wait_reply (struct session *s, int timeout_ms)
{
  int64_t deadline = now_ms () + timeout_ms;

  while (!s->got && !s->eof) {
    int64_t left = deadline - now_ms ();

    if (left <= 0 || pump (s, NULL, 0, NULL, NULL, (int) left) == -1)
      return -1;
  }
  return s->got;
}

static int
wait_eof (struct session *s, int timeout_ms)
{
  int64_t deadline = now_ms () + timeout_ms;

  while (!s->eof) {
    int64_t left = deadline - now_ms ();

    if (left <= 0 || pump (s, NULL, 0, NULL, NULL, (int) left) == -1)
      return -1;
  }
  return 0;
}

/* A valid call (rpcgen-encoded), waiting for its reply: 1 OK, 2 error
 * reply, 0 connection ended, -1 hang. */
static int
call (struct session *s, unsigned proc, uint32_t serial, xdrproc_t xdrp,
      void *args)
{
  static char buf[8192];
  minnow_message_header hdr;
  size_t len;

  memset (&hdr, 0, sizeof hdr);
  hdr.prog = MINNOW_PROGRAM;
  hdr.vers = MINNOW_PROTOCOL_VERSION;
  hdr.proc = proc;
  hdr.direction = MINNOW_DIRECTION_CALL;
  hdr.serial = serial;
  len = minnow_encode_message (buf, sizeof buf, &hdr, xdrp, args);
  if (len == 0)
    abort ();
  s->want_proc = proc;
  s->want_serial = serial;
  s->got = 0;
  if (send_stream (s, (unsigned char *) buf, len, -1, CALL_TIMEOUT_MS) == -1)
    return -1;
  return wait_reply (s, CALL_TIMEOUT_MS);
}

static int
noop (struct session *s, uint32_t serial)
{
  return call (s, MINNOW_PROC_INTERNAL_TEST_NOOP, serial, NULL, NULL);
}

/* Kills a daemon that hangs. */
static void
session_kill (struct session *s)
{
  close (s->d.sock);
  command_free (s->d.cmd);      /* SIGKILL, reaped */
  close (s->d.err_fd);
  minnow_rbuf_free (&s->d.rbuf);
  s->up = 0;
}

/* Closes our end, reaps the daemon: its raw wait status, -1 if hung. */
static int
session_end (struct session *s)
{
  int status = daemon_stop (&s->d);

  s->up = 0;
  return status;
}

/* Starts a daemon on the scratch drive with a filesystem mounted on /
 * (mkfs first when the drive holds none), so that fuzzed calls reach
 * the storage engine.  Returns 0 or -1. */
static int
session_start (struct session *s)
{
  struct minnow_mount_args ma = { "/dev/sda", "/" };
  struct minnow_mkfs_args mk;
  struct minnow_mkdir_p_args md = { "/a/b" };
  struct minnow_write_args wr = { "/a/f", { 6, "hello\n" } };
  struct minnow_ln_sf_args ln = { "f", "/a/l" };

  memset (s, 0, sizeof *s);
  if (daemon_start (&s->d, daemon_path, &drive_fd, 1) == -1)
    return -1;
  s->up = 1;
  if (call (s, MINNOW_PROC_MOUNT, 1, (xdrproc_t) xdr_minnow_mount_args,
            &ma) == 2) {
    memset (&mk, 0, sizeof mk);
    mk.fstype = "ext4";
    mk.device = "/dev/sda";
    mk.features = mk.label = "";
    if (call (s, MINNOW_PROC_MKFS, 2, (xdrproc_t) xdr_minnow_mkfs_args,
              &mk) != 1 ||
        call (s, MINNOW_PROC_MOUNT, 3, (xdrproc_t) xdr_minnow_mount_args,
              &ma) != 1)
      return -1;
  }
  call (s, MINNOW_PROC_MKDIR_P, 4, (xdrproc_t) xdr_minnow_mkdir_p_args, &md);
  call (s, MINNOW_PROC_WRITE, 5, (xdrproc_t) xdr_minnow_write_args, &wr);
  call (s, MINNOW_PROC_LN_SF, 6, (xdrproc_t) xdr_minnow_ln_sf_args, &ln);
  /* The setup's own state must be sane. */
  return noop (s, 7) == 1 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Failures: counted by kind; the first one is shown in full. */

enum failure {
  F_SIGNAL,                     /* the daemon died by a signal */
  F_HANG,                       /* it did not answer / exit in time */
  F_EXIT,                       /* it exited when it had to serve, or
                                 * with a status != 0 on end of file */
  F_NOOP,                       /* the noop got an error reply */
  NR_FAILURES
};

static unsigned failures[NR_FAILURES];
static int shown;
static uint64_t seed;

static void
show_hex (const unsigned char *p, size_t n)
{
  size_t i, max = n < 1024 ? n : 1024;
  char line[3 * 32 + 1];

  for (i = 0; i < max; ++i) {
    snprintf (line + 3 * (i % 32), 4, "%02x ", p[i]);
    if (i % 32 == 31 || i == max - 1)
      tap_diag ("  %04zx: %s", i - i % 32, line);
  }
  if (max < n)
    tap_diag ("  ... (%zu bytes in all)", n);
}

static void fail (enum failure f, unsigned long it, const char *what,
                  const struct buf *stream, const struct session *s,
                  const char *fmt, ...)
  __attribute__((format (printf, 6, 7)));

static void
fail (enum failure f, unsigned long it, const char *what,
      const struct buf *stream, const struct session *s, const char *fmt, ...)
{
  va_list ap;

  failures[f]++;
  if (shown++)
    return;
  tap_diag ("FIRST FAILURE: seed 0x%" PRIx64 ", iteration %lu, mutations "
            "[%s]:", seed, it, what);
  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  tap_diag ("the stream sent (hex):");
  if (stream) {
    const char *save = getenv ("MINNOW_FUZZ_SAVE");
    FILE *fp = save && *save ? fopen (save, "w") : NULL;

    show_hex (stream->p, stream->len);
    if (fp) {                   /* the whole stream, for a replay */
      fwrite (stream->p, 1, stream->len, fp);
      fclose (fp);
    }
  }
  if (s && s->err_tail[0])
    tap_diag_str ("daemon stderr (end)", s->err_tail);
  fflush (stdout);
}

/* Classifies a wait status after the daemon exited. */
static void
check_exit (int status, int must_be_zero, unsigned long it, const char *what,
            const struct buf *stream, const struct session *s)
{
  if (status == -1)
    fail (F_HANG, it, what, stream, s, "the daemon did not exit");
  else if (WIFSIGNALED (status))
    fail (F_SIGNAL, it, what, stream, s, "the daemon was killed by signal %d",
          WTERMSIG (status));
  else if (must_be_zero && WEXITSTATUS (status) != 0)
    fail (F_EXIT, it, what, stream, s,
          "the daemon exited with status %d at end of file", WEXITSTATUS (status));
}

/* ------------------------------------------------------------------ */

/* Every entry of the table: valid arguments decode with rpcgen's
 * decoder, using every byte. */
static int
check_table (void)
{
  size_t i;
  int k, bad = 0;
  struct buf b = { 0 };

  for (i = 0; i < NR_PROCS; ++i) {
    const struct proc *p = &procs[i];

    for (k = 0; k < 20; ++k) {
      void *a;

      buf_reset (&b);
      gen_args (&b, p);
      if (p->args == NULL) {
        if (b.len != 0)
          bad++;
        continue;
      }
      a = calloc (1, p->args_size);
      if (minnow_decode_body ((char *) b.p, b.len, 0, p->args, a) == -1) {
        if (!bad++)
          tap_diag ("%s: signature \"%s\" does not match protocol.x",
                    p->name, p->sig);
      }
      else
        xdr_free (p->args, a);
      free (a);
    }
  }
  free (b.p);
  return bad == 0;
}

/* Fixed cases: messages the fuzzer once found a daemon bug with. */

/* seed 0x1, iteration 8333: cp_a "//a" "//a" copied /a into /a/a, into
 * /a/a/a ... until the filesystem was full (seconds on 16 MiB, far
 * longer on a big disk); then a length word over the limit. */
static const unsigned char regression_cp_a[] = {
  0x00, 0x00, 0x00, 0x38, 0x4d, 0x4e, 0x4f, 0x57, 0x00, 0x00, 0x00, 0x01,
  0x00, 0x00, 0x00, 0x4c, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x64, 0x75, 0x80,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
  0x2f, 0x2f, 0x61, 0x00, 0x00, 0x00, 0x00, 0x03, 0x2f, 0x2f, 0x61, 0x00,
  /* the next "length word" */
  0xbd, 0x8a, 0xb0, 0xa9, 0xff, 0x32, 0xc9, 0x6c, 0x35, 0xe5, 0x82, 0xb6,
  0x0a, 0xa9, 0x36, 0xb1,
};

static int
regression_cases (void)
{
  struct session s;
  struct minnow_mkdir_args md = { "/a/a" };
  struct minnow_rmdir_args rd = { "/a/a" };
  int ok, status;

  if (session_start (&s) == -1)
    return 0;
  /* The call alone: an error reply (EINVAL), and nothing copied. */
  s.want_proc = MINNOW_PROC_CP_A;
  s.want_serial = 0x0c647580;
  s.got = 0;
  ok = send_stream (&s, regression_cp_a, 60, -1, CALL_TIMEOUT_MS) == 0 &&
    wait_reply (&s, CALL_TIMEOUT_MS) == 2;
  if (!ok)
    tap_diag ("cp_a //a //a: expected an error reply, got %d", s.got);
  if (call (&s, MINNOW_PROC_MKDIR, 8, (xdrproc_t) xdr_minnow_mkdir_args,
            &md) != 1) {
    tap_diag ("cp_a //a //a: created /a/a");
    ok = 0;
  }
  call (&s, MINNOW_PROC_RMDIR, 9, (xdrproc_t) xdr_minnow_rmdir_args, &rd);
  /* Then the bad length word: the daemon ends the connection. */
  ok = ok && send_stream (&s, regression_cp_a + 60,
                          sizeof regression_cp_a - 60, -1,
                          CALL_TIMEOUT_MS) == 0 &&
    wait_eof (&s, CALL_TIMEOUT_MS) == 0;
  if (!ok)
    session_kill (&s);
  else {
    status = session_end (&s);
    ok = status != -1 && WIFEXITED (status);
  }
  return ok;
}

static unsigned long
iterations (int under_valgrind)
{
  const char *e = getenv ("MINNOW_FUZZ_ITERATIONS");

  if (e && *e)
    return strtoul (e, NULL, 0);
  return under_valgrind ? VALGRIND_ITERATIONS : DEFAULT_ITERATIONS;
}

int
main (void)
{
  const char *e = getenv ("LD_PRELOAD");
  int under_valgrind = e && strstr (e, "vgpreload");
  unsigned long it, nr, launches = 0, exits = 0, eofs = 0, unsafe = 0;
  unsigned long calls = 0, probes = 0;
  const char *tmpdir;
  char path[4096];
  struct session s;
  struct model saved = { 0 };
  struct buf stream = { 0 };
  char what[256];
  int64_t t0;
  int r, ok;

  daemon_path = getenv ("MINNOW_DAEMON");
  if (daemon_path == NULL) {
    printf ("1..0 # SKIP MINNOW_DAEMON not set (run through ./run)\n");
    return 0;
  }
  signal (SIGPIPE, SIG_IGN);
  e = getenv ("MINNOW_FUZZ_SEED");
  seed = e && *e ? strtoull (e, NULL, 0) : DEFAULT_SEED;
  rng_state = seed ? seed : 1;
  nr = iterations (under_valgrind);
  memset (long_path, 'x', sizeof long_path - 1);
  long_path[0] = '/';
  memset (long_string, 'y', sizeof long_string - 1);

  tap_plan (7);
  tap_diag ("seed 0x%" PRIx64 " (MINNOW_FUZZ_SEED), %lu messages "
            "(MINNOW_FUZZ_ITERATIONS)%s", seed, nr,
            under_valgrind ? ", under valgrind" : "");

  tap_ok (check_table (), "the fuzzer's table of %zu procedures matches "
          "protocol.x (valid arguments decode exactly)", NR_PROCS);

  /* One 16 MiB sparse scratch drive, unlinked at once. */
  tmpdir = getenv ("TMPDIR");
  snprintf (path, sizeof path, "%s/minnow-fuzz.XXXXXX",
            tmpdir && *tmpdir ? tmpdir : "/tmp");
  drive_fd = mkstemp (path);
  if (drive_fd == -1 || unlink (path) == -1 ||
      ftruncate (drive_fd, DRIVE_SIZE) == -1) {
    printf ("Bail out! scratch drive %s: %s\n", path, strerror (errno));
    return 1;
  }
  null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  tap_ok (regression_cases (), "regression: cp_a \"//a\" \"//a\" (a "
          "directory into itself) fails at once and copies nothing");

  t0 = now_ms ();
  s.up = 0;
  for (it = 0; it < nr; ++it) {
    struct model m;
    int pass_fd = 0, tries, rounds;
    size_t start;

    if (!s.up) {
      if (session_start (&s) == -1) {
        printf ("Bail out! the daemon does not start or serve its setup "
                "calls (iteration %lu): %s\n", it, s.err_tail);
        return 1;
      }
      launches++;
      saved.fds = 0;
    }

    /* A mutated call that the daemon should process quickly. */
    for (tries = 0; ; ++tries) {
      const struct proc *p = &procs[rnd (NR_PROCS)];
      unsigned k, nm = rnd (4) == 0 ? 0 : 1 + rnd (3) / 2 + rnd (3) / 2;

      buf_reset (&stream);
      what[0] = '\0';
      pass_fd = 0;
      start = stream.len;
      snprintf (what, sizeof what, "%s:", p->name);
      gen_call (&stream, p);
      for (k = 0; k < nm; ++k)
        mutate (&stream, start, &pass_fd, what, sizeof what);
      /* Complete what the daemon waits for: chunks after a FileIn call,
       * the rest of a message, or (below) end of file. */
      m = saved;
      model_run (stream.p, stream.len, pass_fd, &m);
      for (rounds = 0; rounds < 8 && !m.unsafe; ++rounds) {
        if (m.state == M_FILEIN) {
          unsigned c, nc = rnd (4);

          for (c = 0; c < nc; ++c) {
            start = stream.len;
            gen_chunk (&stream, 0, rnd (8) ? rnd (5000) : rnd (70000));
            if (rnd (12) == 0)
              mutate (&stream, start, &pass_fd, what, sizeof what);
          }
          start = stream.len;
          gen_chunk (&stream, rnd (5) == 0, 0);
          if (rnd (12) == 0)
            mutate (&stream, start, &pass_fd, what, sizeof what);
        }
        else if (m.state == M_PARTIAL && m.missing <= 65536 && rnd (3)) {
          if (rnd (2))
            buf_random (&stream, m.missing);
          else {
            buf_reserve (&stream, m.missing);
            memset (stream.p + stream.len, 0, m.missing);
            stream.len += m.missing;
          }
        }
        else
          break;
        m = saved;
        model_run (stream.p, stream.len, pass_fd, &m);
      }
      if (!m.unsafe && m.state != M_FILEIN)
        break;
      unsafe++;
    }
    saved.fds = m.fds;
    calls += m.calls;

    s.eof = 0;
    s.want_proc = -1;
    if (send_stream (&s, stream.p, stream.len, pass_fd ? null_fd : -1,
                     CALL_TIMEOUT_MS) == -1) {
      fail (F_HANG, it, what, &stream, &s,
            "the daemon stopped reading");
      session_kill (&s);
      continue;
    }

    switch (m.state) {
    case M_IDLE:                /* it must go on serving */
      probes++;
      r = noop (&s, PROBE_SERIAL | (uint32_t) it);
      if (r == 1)
        break;
      if (r == 2) {
        fail (F_NOOP, it, what, &stream, &s,
              "internal_test_noop got an error reply");
        break;
      }
      if (r == -1) {
        fail (F_HANG, it, what, &stream, &s,
              "no answer to internal_test_noop within %d ms",
              CALL_TIMEOUT_MS);
        session_kill (&s);
        break;
      }
      r = session_end (&s);
      check_exit (r, 0, it, what, &stream, &s);
      if (r != -1 && WIFEXITED (r))
        fail (F_EXIT, it, what, &stream, &s,
              "the daemon exited (status %d) instead of serving",
              WEXITSTATUS (r));
      break;
    case M_DEAD:                /* it must end the connection itself */
      exits++;
      if (wait_eof (&s, CALL_TIMEOUT_MS) == -1) {
        fail (F_HANG, it, what, &stream, &s,
              "the daemon did not end the connection");
        session_kill (&s);
        break;
      }
      check_exit (session_end (&s), 0, it, what,
                  &stream, &s);
      break;
    default:                    /* waiting for more: end of file */
      eofs++;
      shutdown (s.d.sock, SHUT_WR);
      if (wait_eof (&s, CALL_TIMEOUT_MS) == -1) {
        fail (F_HANG, it, what, &stream, &s,
              "the daemon did not exit at end of file");
        session_kill (&s);
        break;
      }
      check_exit (session_end (&s), 1, it, what, &stream, &s);
      break;
    }
  }

  tap_diag ("%lu messages in %.1f s: %lu calls served (%lu replies OK, "
            "%lu errors, setup and noop included), %lu noop checks, "
            "%lu connections ended by the daemon, %lu at end of file, "
            "%lu launches, %lu long calls not sent",
            nr, (now_ms () - t0) / 1000.0, calls, replies[1], replies[0],
            probes, exits, eofs, launches, unsafe);
  tap_ok (failures[F_SIGNAL] == 0, "%lu messages: the daemon never died by "
          "a signal", nr);
  if (failures[F_SIGNAL])
    tap_diag ("%u deaths by a signal", failures[F_SIGNAL]);
  tap_ok (failures[F_HANG] == 0, "never hung (every wait bounded by %d ms)",
          CALL_TIMEOUT_MS);
  if (failures[F_HANG])
    tap_diag ("%u hangs", failures[F_HANG]);
  tap_ok (failures[F_EXIT] == 0, "exited only when it had to (and with "
          "status 0 at end of file)");
  if (failures[F_EXIT])
    tap_diag ("%u unexpected exits", failures[F_EXIT]);
  tap_ok (failures[F_NOOP] == 0 && probes > nr / 4,
          "internal_test_noop answered OK after each of the %lu messages "
          "that left the connection usable", probes);
  if (failures[F_NOOP])
    tap_diag ("%u error replies to the noop", failures[F_NOOP]);

  /* At the end: still serving, then a clean exit at end of file. */
  ok = 0;
  if (s.up || session_start (&s) == 0) {
    ok = noop (&s, 0x5eed) == 1;
    r = session_end (&s);
    ok = ok && r != -1 && WIFEXITED (r) && WEXITSTATUS (r) == 0;
  }
  tap_ok (ok, "still answers internal_test_noop at the end, then exits "
          "with status 0");

  free (stream.p);
  close (drive_fd);
  if (null_fd >= 0)
    close (null_fd);
  return tap_done ();
}
