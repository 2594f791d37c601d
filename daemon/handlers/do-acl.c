/* minnow: POSIX ACLs (acl_get_file, acl_set_file, acl_delete_def_file),
 * file capabilities (cap_get_file, cap_set_file) and lxattrlist.
 *
 * ACLs live in the system.posix_acl_access and system.posix_acl_default
 * extended attributes; libext2fs hands them over in Linux's xattr
 * format (version 2, 8-byte entries), which is what is parsed here.
 * Their text form is acl(5)'s long form with numeric ids (the image's
 * user names are not ours to look up).  Capabilities are the
 * security.capability attribute, in libcap's text form. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "storage-actions.h"
#include "actions.h"

#define ACL_ACCESS "system.posix_acl_access"
#define ACL_DEFAULT "system.posix_acl_default"

enum {
  TAG_USER_OBJ = 0x01, TAG_USER = 0x02, TAG_GROUP_OBJ = 0x04,
  TAG_GROUP = 0x08, TAG_MASK = 0x10, TAG_OTHER = 0x20,
};

struct acl_entry {
  unsigned tag, perm;
  uint32_t id;
};

static uint32_t
le32 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
    | (uint32_t) p[3] << 24;
}

static void
put_le32 (unsigned char *p, uint32_t v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

static const char *
which_xattr (const char *acltype)
{
  if (strcmp (acltype, "access") == 0)
    return ACL_ACCESS;
  if (strcmp (acltype, "default") == 0)
    return ACL_DEFAULT;
  return NULL;
}

static int
tag_order (unsigned tag)
{
  switch (tag) {
  case TAG_USER_OBJ: return 0;
  case TAG_USER: return 1;
  case TAG_GROUP_OBJ: return 2;
  case TAG_GROUP: return 3;
  case TAG_MASK: return 4;
  default: return 5;
  }
}

static int
cmp_entries (const void *a, const void *b)
{
  const struct acl_entry *x = a, *y = b;

  if (tag_order (x->tag) != tag_order (y->tag))
    return tag_order (x->tag) - tag_order (y->tag);
  return x->id < y->id ? -1 : x->id > y->id;
}

static char *
acl_text (const struct acl_entry *e, size_t n)
{
  char *out = NULL;
  size_t len = 0, i;
  FILE *fp = open_memstream (&out, &len);

  if (fp == NULL)
    return NULL;
  for (i = 0; i < n; i++) {
    const char *tag = e[i].tag == TAG_USER_OBJ || e[i].tag == TAG_USER ? "user"
      : e[i].tag == TAG_GROUP_OBJ || e[i].tag == TAG_GROUP ? "group"
      : e[i].tag == TAG_MASK ? "mask" : "other";
    fprintf (fp, "%s:", tag);
    if (e[i].tag == TAG_USER || e[i].tag == TAG_GROUP)
      fprintf (fp, "%" PRIu32, e[i].id);
    fprintf (fp, ":%c%c%c\n", e[i].perm & 4 ? 'r' : '-',
             e[i].perm & 2 ? 'w' : '-', e[i].perm & 1 ? 'x' : '-');
  }
  fclose (fp);
  return out;
}

char *
do_acl_get_file (const char *path, const char *acltype)
{
  const char *name = which_xattr (acltype);
  struct acl_entry e[512];
  unsigned char *v;
  char *value = NULL, *ret;
  size_t len = 0, n = 0, i;
  int r;

  if (name == NULL) {
    reply_with_error_errno (EINVAL, "%s: acltype must be \"access\" or "
                            "\"default\"", acltype);
    return NULL;
  }
  r = fsop_getxattr (path, 0, name, &value, &len);
  if (r == -ENODATA) {
    struct engine_stat st;
    /* No ACL: the access ACL is the mode; there is no default ACL. */
    r = fsop_stat (path, 0, &st);
    if (r < 0) {
      reply_errno_path (r, path);
      return NULL;
    }
    if (strcmp (name, ACL_DEFAULT) == 0) {
      ret = strdup ("");
      if (ret == NULL)
        reply_with_perror ("strdup");
      return ret;
    }
    e[0] = (struct acl_entry) { TAG_USER_OBJ, (st.mode >> 6) & 7, 0 };
    e[1] = (struct acl_entry) { TAG_GROUP_OBJ, (st.mode >> 3) & 7, 0 };
    e[2] = (struct acl_entry) { TAG_OTHER, st.mode & 7, 0 };
    n = 3;
  } else if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  } else {
    v = (unsigned char *) value;
    if (len < 4 || le32 (v) != 2 || (len - 4) % 8 != 0
        || (len - 4) / 8 > sizeof e / sizeof e[0]) {
      free (value);
      reply_with_error_errno (EINVAL, "%s: %s is not a POSIX ACL", path,
                              name);
      return NULL;
    }
    for (i = 4; i < len; i += 8) {
      e[n].tag = v[i] | v[i + 1] << 8;
      e[n].perm = (v[i + 2] | v[i + 3] << 8) & 7;
      e[n].id = le32 (v + i + 4);
      n++;
    }
    free (value);
  }
  qsort (e, n, sizeof e[0], cmp_entries);
  ret = acl_text (e, n);
  if (ret == NULL)
    reply_with_perror ("acl_get_file");
  return ret;
}

/* Parses acl(5) text (entries separated by commas or newlines, "#"
 * comments); numeric ids only.  Returns the count or -1. */
static int
parse_acl (const char *text, struct acl_entry *e, size_t max, char *why,
           size_t whylen)
{
  char *copy = strdup (text), *entry, *save = NULL;
  size_t n = 0;

  if (copy == NULL) {
    snprintf (why, whylen, "out of memory");
    return -1;
  }
  for (entry = strtok_r (copy, ",\n", &save); entry;
       entry = strtok_r (NULL, ",\n", &save)) {
    char *hash = strchr (entry, '#'), *tag, *qual, *perm, *end;
    unsigned p = 0;
    size_t i;

    if (hash)
      *hash = '\0';
    while (isspace ((unsigned char) *entry))
      entry++;
    for (end = entry + strlen (entry); end > entry && isspace ((unsigned char) end[-1]);)
      *--end = '\0';
    if (*entry == '\0')
      continue;
    if (n == max) {
      snprintf (why, whylen, "too many entries");
      goto bad;
    }
    tag = entry;
    qual = strchr (tag, ':');
    perm = qual ? strchr (qual + 1, ':') : NULL;
    if (qual == NULL) {
      snprintf (why, whylen, "\"%s\": expected TAG:QUALIFIER:PERMS", entry);
      goto bad;
    }
    *qual++ = '\0';
    if (perm)
      *perm++ = '\0';
    else {                      /* "other:rwx", "mask:rwx" */
      perm = qual;
      qual = "";
    }
    if (strcmp (tag, "u") == 0 || strcmp (tag, "user") == 0)
      e[n].tag = *qual ? TAG_USER : TAG_USER_OBJ;
    else if (strcmp (tag, "g") == 0 || strcmp (tag, "group") == 0)
      e[n].tag = *qual ? TAG_GROUP : TAG_GROUP_OBJ;
    else if (strcmp (tag, "m") == 0 || strcmp (tag, "mask") == 0)
      e[n].tag = TAG_MASK;
    else if (strcmp (tag, "o") == 0 || strcmp (tag, "other") == 0)
      e[n].tag = TAG_OTHER;
    else {
      snprintf (why, whylen, "\"%s\": unknown tag", tag);
      goto bad;
    }
    e[n].id = 0;
    if (e[n].tag == TAG_USER || e[n].tag == TAG_GROUP) {
      char *qend;
      unsigned long id;
      errno = 0;
      id = strtoul (qual, &qend, 10);
      if (errno || *qend || !isdigit ((unsigned char) *qual)
          || id > UINT32_MAX - 1) {
        snprintf (why, whylen, "\"%s\": qualifiers must be numeric ids",
                  qual);
        goto bad;
      }
      e[n].id = (uint32_t) id;
    } else if (*qual) {
      snprintf (why, whylen, "%s takes no qualifier", tag);
      goto bad;
    }
    for (i = 0; perm[i]; i++) {
      switch (perm[i]) {
      case 'r': p |= 4; break;
      case 'w': p |= 2; break;
      case 'x': p |= 1; break;
      case '-': break;
      default:
        snprintf (why, whylen, "\"%s\": permissions are r, w, x, -", perm);
        goto bad;
      }
    }
    e[n].perm = p;
    n++;
  }
  free (copy);
  return (int) n;
 bad:
  free (copy);
  return -1;
}

/* acl_valid: one of each *_OBJ and OTHER, no repeated qualifier, a
 * mask when there are named entries. */
static int
valid_acl (struct acl_entry *e, size_t n, char *why, size_t whylen)
{
  size_t i, count[6] = { 0 };
  int named = 0;

  qsort (e, n, sizeof e[0], cmp_entries);
  for (i = 0; i < n; i++) {
    count[tag_order (e[i].tag)]++;
    if (e[i].tag == TAG_USER || e[i].tag == TAG_GROUP) {
      named = 1;
      if (i > 0 && e[i - 1].tag == e[i].tag && e[i - 1].id == e[i].id) {
        snprintf (why, whylen, "id %" PRIu32 " appears twice", e[i].id);
        return -1;
      }
    }
  }
  if (count[0] != 1 || count[2] != 1 || count[5] != 1 || count[4] > 1) {
    snprintf (why, whylen, "an ACL needs exactly one user::, group:: and "
              "other:: entry, and at most one mask::");
    return -1;
  }
  if (named && count[4] == 0) {
    snprintf (why, whylen, "an ACL with named users or groups needs a "
              "mask:: entry");
    return -1;
  }
  return 0;
}

int
do_acl_set_file (const char *path, const char *acltype, const char *acl)
{
  const char *name = which_xattr (acltype);
  struct acl_entry e[512];
  struct engine_stat st;
  unsigned char *v;
  char why[256];
  size_t i;
  int n, r, minimal;

  if (name == NULL) {
    reply_with_error_errno (EINVAL, "%s: acltype must be \"access\" or "
                            "\"default\"", acltype);
    return -1;
  }
  r = fsop_stat (path, 0, &st);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  if (strcmp (name, ACL_DEFAULT) == 0 && !S_ISDIR (st.mode)) {
    reply_with_error_errno (EACCES, "%s: only directories have a default "
                            "ACL", path);
    return -1;
  }
  n = parse_acl (acl, e, sizeof e / sizeof e[0], why, sizeof why);
  if (n < 0 || valid_acl (e, (size_t) n, why, sizeof why) < 0) {
    reply_with_error_errno (EINVAL, "%s: invalid ACL: %s", path, why);
    return -1;
  }
  minimal = n == 3;
  if (strcmp (name, ACL_ACCESS) == 0) {
    /* As Linux: the mode follows the ACL (the group bits from the
     * mask when there is one), and an ACL the mode says in full is
     * not stored. */
    unsigned mode = st.mode & 07000;
    for (i = 0; i < (size_t) n; i++) {
      if (e[i].tag == TAG_USER_OBJ)
        mode |= e[i].perm << 6;
      else if (e[i].tag == TAG_OTHER)
        mode |= e[i].perm;
      else if (e[i].tag == TAG_MASK || (e[i].tag == TAG_GROUP_OBJ && minimal))
        mode |= e[i].perm << 3;
    }
    r = fsop_chmod (path, mode);
    if (r < 0) {
      reply_errno_path (r, path);
      return -1;
    }
    if (minimal) {
      r = fsop_removexattr (path, 0, name);
      if (r < 0 && r != -ENODATA) {
        reply_errno_path (r, path);
        return -1;
      }
      return 0;
    }
  }
  v = malloc (4 + 8 * (size_t) n);
  if (v == NULL) {
    reply_with_perror ("malloc");
    return -1;
  }
  put_le32 (v, 2);
  for (i = 0; i < (size_t) n; i++) {
    unsigned char *p = v + 4 + 8 * i;
    p[0] = e[i].tag;
    p[1] = e[i].tag >> 8;
    p[2] = e[i].perm;
    p[3] = 0;
    put_le32 (p + 4, e[i].tag == TAG_USER || e[i].tag == TAG_GROUP
              ? e[i].id : UINT32_MAX);
  }
  r = fsop_setxattr (path, 0, name, v, 4 + 8 * (size_t) n);
  free (v);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
}

int
do_acl_delete_def_file (const char *dir)
{
  struct engine_stat st;
  int r = fsop_stat (dir, 0, &st);

  if (r == 0 && !S_ISDIR (st.mode))
    r = -ENOTDIR;
  if (r == 0) {
    r = fsop_removexattr (dir, 0, ACL_DEFAULT);
    if (r == -ENODATA)
      r = 0;
  }
  if (r < 0) {
    reply_errno_path (r, dir);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- */
/* File capabilities.                                                 */

static const char *const cap_names[] = {
  "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner",
  "cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
  "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
  "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
  "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
  "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
  "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
  "cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
  "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
  "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
  "cap_checkpoint_restore",
};
#define NCAPS (sizeof cap_names / sizeof cap_names[0])

#define VFS_CAP_REVISION_2 0x02000000
#define VFS_CAP_REVISION_3 0x03000000
#define VFS_CAP_EFFECTIVE 0x000001

char *
do_cap_get_file (const char *path)
{
  unsigned char *v;
  char *value = NULL, *out = NULL;
  size_t len = 0, outlen = 0, i;
  uint64_t permitted, inheritable;
  uint32_t magic;
  int r, effective, flags, first = 1;
  FILE *fp;

  r = fsop_getxattr (path, 0, "security.capability", &value, &len);
  if (r == -ENODATA) {
    /* No capabilities: libcap's text is empty. */
    out = strdup ("");
    if (out == NULL)
      reply_with_perror ("strdup");
    return out;
  }
  if (r < 0) {
    reply_errno_path (r, path);
    return NULL;
  }
  v = (unsigned char *) value;
  magic = len >= 4 ? le32 (v) : 0;
  if (len < 20 || ((magic & 0xff000000) != VFS_CAP_REVISION_2
                   && (magic & 0xff000000) != VFS_CAP_REVISION_3)) {
    free (value);
    reply_with_error_errno (EINVAL, "%s: security.capability is not a "
                            "version 2 or 3 capability set", path);
    return NULL;
  }
  effective = (magic & VFS_CAP_EFFECTIVE) != 0;
  permitted = le32 (v + 4) | (uint64_t) le32 (v + 12) << 32;
  inheritable = le32 (v + 8) | (uint64_t) le32 (v + 16) << 32;
  free (value);
  fp = open_memstream (&out, &outlen);
  if (fp == NULL) {
    reply_with_perror ("open_memstream");
    return NULL;
  }
  /* One clause per combination of flags: "cap_a,cap_b=eip". */
  for (flags = 1; flags < 8; flags++) {
    int any = 0, p = flags & 1, in = (flags >> 1) & 1, e = (flags >> 2) & 1;
    if (e && !effective)
      continue;
    if (!e && effective && (p || in))
      continue;
    for (i = 0; i < 64; i++) {
      int hp = (permitted >> i) & 1, hi = (inheritable >> i) & 1;
      if (hp != p || hi != in || (!hp && !hi))
        continue;
      fprintf (fp, "%s%s", any ? "," : (first ? "" : " "),
               i < NCAPS ? cap_names[i] : "");
      if (i >= NCAPS)
        fprintf (fp, "%zu", i);
      any = 1;
    }
    if (any) {
      fprintf (fp, "=%s%s%s", e ? "e" : "", in ? "i" : "", p ? "p" : "");
      first = 0;
    }
  }
  fclose (fp);
  if (out == NULL)
    reply_with_perror ("cap_get_file");
  return out;
}

int
do_cap_set_file (const char *path, const char *cap)
{
  char *copy = strdup (cap), *clause, *save = NULL;
  uint64_t permitted = 0, inheritable = 0, effective = 0;
  unsigned char v[20];
  int r;

  if (copy == NULL) {
    reply_with_perror ("strdup");
    return -1;
  }
  /* Clauses "names OP flags [OP flags ...]", OP one of = + -. */
  for (clause = strtok_r (copy, " \t\n", &save); clause;
       clause = strtok_r (NULL, " \t\n", &save)) {
    char *op = strpbrk (clause, "=+-"), *names, *name, *nsave = NULL;
    uint64_t set = 0;
    int all;

    if (op == NULL)
      goto bad;
    names = strndup (clause, op - clause);
    if (names == NULL)
      goto oom;
    all = *names == '\0' || strcmp (names, "all") == 0;
    if (all)
      set = ~UINT64_C(0) >> (64 - NCAPS);
    for (name = strtok_r (names, ",", &nsave); name && !all;
         name = strtok_r (NULL, ",", &nsave)) {
      size_t i;
      for (i = 0; i < NCAPS && strcasecmp (cap_names[i], name) != 0; i++)
        ;
      if (i == NCAPS) {
        free (names);
        goto bad;
      }
      set |= UINT64_C(1) << i;
    }
    free (names);
    while (*op) {
      char o = *op++;
      uint64_t *sets[3] = { &effective, &inheritable, &permitted };
      int chosen[3] = { 0, 0, 0 }, k;
      for (; *op && !strchr ("=+-", *op); op++) {
        if (*op == 'e') chosen[0] = 1;
        else if (*op == 'i') chosen[1] = 1;
        else if (*op == 'p') chosen[2] = 1;
        else goto bad;
      }
      for (k = 0; k < 3; k++) {
        if (o == '=')
          *sets[k] = chosen[k] ? *sets[k] | set : *sets[k] & ~set;
        else if (o == '+' && chosen[k])
          *sets[k] |= set;
        else if (o == '-' && chosen[k])
          *sets[k] &= ~set;
      }
    }
  }
  free (copy);
  copy = NULL;
  /* A file has one effective bit: it raises every permitted and
   * inheritable capability, so it must cover them all or none. */
  if (effective && (effective & (permitted | inheritable))
      != (permitted | inheritable)) {
    reply_with_error_errno (EINVAL, "%s: \"%s\": the effective flag must "
                            "be given to every capability or to none", path,
                            cap);
    return -1;
  }
  put_le32 (v, VFS_CAP_REVISION_2 | (effective ? VFS_CAP_EFFECTIVE : 0));
  put_le32 (v + 4, (uint32_t) permitted);
  put_le32 (v + 8, (uint32_t) inheritable);
  put_le32 (v + 12, (uint32_t) (permitted >> 32));
  put_le32 (v + 16, (uint32_t) (inheritable >> 32));
  if (permitted == 0 && inheritable == 0) {
    r = fsop_removexattr (path, 0, "security.capability");
    if (r == -ENODATA)
      r = 0;
  } else
    r = fsop_setxattr (path, 0, "security.capability", v, sizeof v);
  if (r < 0) {
    reply_errno_path (r, path);
    return -1;
  }
  return 0;
 bad:
  free (copy);
  reply_with_error_errno (EINVAL, "%s: \"%s\" is not a capability set in "
                          "libcap's text form (such as "
                          "\"cap_net_raw,cap_chown=ep\")", path, cap);
  return -1;
 oom:
  free (copy);
  reply_with_perror ("cap_set_file");
  return -1;
}

/* ---------------------------------------------------------------- */
/* lxattrlist.                                                        */

minnow_int_xattr_list *
do_lxattrlist (const char *path, char *const *names)
{
  minnow_int_xattr_list *ret;
  size_t i, k, total = 0, cap = 16;

  ret = calloc (1, sizeof *ret);
  if (ret)
    ret->minnow_int_xattr_list_val = calloc (cap, sizeof (minnow_int_xattr));
  if (ret == NULL || ret->minnow_int_xattr_list_val == NULL)
    goto oom;
  for (i = 0; names[i]; i++) {
    struct fsop_xattr *xs = NULL;
    size_t n = 0;
    char *file, count[32] = "";
    int r;

    if (asprintf (&file, "%s%s%s", path,
                  path[strlen (path) - 1] == '/' ? "" : "/", names[i]) == -1)
      goto oom;
    r = fsop_listxattrs (file, 1, &xs, &n);
    free (file);
    if (r < 0)
      n = 0;                    /* an empty count says: this one failed */
    else
      snprintf (count, sizeof count, "%zu", n);
    if (total + n + 1 > cap) {
      minnow_int_xattr *nv;
      cap = (total + n + 1) * 2;
      nv = realloc (ret->minnow_int_xattr_list_val, cap * sizeof *nv);
      if (nv == NULL) {
        fsop_xattrs_free (xs, n);
        goto oom;
      }
      ret->minnow_int_xattr_list_val = nv;
    }
    ret->minnow_int_xattr_list_val[total].attrname = strdup ("");
    ret->minnow_int_xattr_list_val[total].attrval.attrval_val = strdup (count);
    ret->minnow_int_xattr_list_val[total].attrval.attrval_len = strlen (count);
    ret->minnow_int_xattr_list_len = ++total;
    if (ret->minnow_int_xattr_list_val[total - 1].attrname == NULL
        || ret->minnow_int_xattr_list_val[total - 1].attrval.attrval_val == NULL) {
      fsop_xattrs_free (xs, n);
      goto oom;
    }
    for (k = 0; k < n; k++) {
      minnow_int_xattr *x = &ret->minnow_int_xattr_list_val[total];
      x->attrname = xs[k].name;
      x->attrval.attrval_val = xs[k].value;
      x->attrval.attrval_len = xs[k].len;
      xs[k].name = xs[k].value = NULL;
      ret->minnow_int_xattr_list_len = ++total;
    }
    fsop_xattrs_free (xs, n);
  }
  return ret;
 oom:
  if (ret) {
    for (i = 0; i < ret->minnow_int_xattr_list_len; i++) {
      free (ret->minnow_int_xattr_list_val[i].attrname);
      free (ret->minnow_int_xattr_list_val[i].attrval.attrval_val);
    }
    free (ret->minnow_int_xattr_list_val);
    free (ret);
  }
  reply_with_perror ("lxattrlist");
  return NULL;
}
