/* minnow: what one filesystem is.  Called with the filesystem mounted
 * alone at "/" (inspect_with_device): decides whether it is the root of
 * a Linux system and reads its release files, hostname, architecture
 * and fstab.  Follows libguestfs's order of release files, so that the
 * same guest gets the same answers. */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsops.h"
#include "inspect.h"

/* What is being learnt about one root. */
struct facts {
  char *distro;                 /* NULL: not known yet */
  char *product_name;
  char *build_id;
  int have_version;
  int major, minor;
};

static void
set_str (char **field, const char *value)
{
  char *copy = inspect_strdup_field (value);

  if (copy) {
    free (*field);
    *field = copy;
  }
}

/* The first "N.M" (else "N") in s; libguestfs's rule for versions. */
static void
parse_major_minor (const char *s, struct facts *f)
{
  const char *p;

  for (p = s; *p; p++)
    if (isdigit ((unsigned char) *p)) {
      long major = strtol (p, (char **) &p, 10), minor = 0;
      if (*p == '.' && isdigit ((unsigned char) p[1]))
        minor = strtol (p + 1, NULL, 10);
      if (major < 0 || major > 1000000 || minor < 0 || minor > 1000000)
        return;
      f->major = (int) major;
      f->minor = (int) minor;
      f->have_version = 1;
      return;
    }
}

/* A version number of the guest, clamped: never an overflow. */
static int
version_number (const char *p)
{
  long v = strtol (p, NULL, 10);

  return v < 0 ? 0 : v > 1000000 ? 1000000 : (int) v;
}

/* Matches s against an extended regex with up to two groups: major and
 * minor.  Returns 1 on a match (version set from the groups). */
static int
match_version (const char *s, const char *re, struct facts *f)
{
  regex_t rx;
  regmatch_t m[3];
  int ok;

  if (regcomp (&rx, re, REG_EXTENDED) != 0)
    return 0;
  ok = regexec (&rx, s, 3, m, 0) == 0;
  if (ok && m[1].rm_so >= 0) {
    f->major = version_number (s + m[1].rm_so);
    f->minor = m[2].rm_so >= 0 ? version_number (s + m[2].rm_so) : 0;
    f->have_version = 1;
  }
  regfree (&rx);
  return ok;
}

/* ---------------------------------------------------------------- */
/* Release files.                                                     */

static const struct {
  const char *id, *distro;
} os_release_ids[] = {
  { "alpine", "alpinelinux" }, { "almalinux", "almalinux" },
  { "altlinux", "altlinux" }, { "arch", "archlinux" },
  { "centos", "centos" }, { "coreos", "coreos" }, { "debian", "debian" },
  { "fedora", "fedora" }, { "frugalware", "frugalware" },
  { "gentoo", "gentoo" }, { "kali", "kalilinux" }, { "kylin", "kylin" },
  { "mageia", "mageia" }, { "neokylin", "neokylin" },
  { "openmandriva", "openmandriva" }, { "opensuse", "opensuse" },
  { "pardus", "pardus" }, { "pld", "pldlinux" }, { "rhel", "rhel" },
  { "rocky", "rocky" }, { "sles", "sles" }, { "sled", "sles" },
  { "ubuntu", "ubuntu" }, { "void", "voidlinux" },
};

static const char *
distro_of_os_release_id (const char *id)
{
  size_t i;

  if (strncmp (id, "opensuse-", 9) == 0)
    return "opensuse";
  for (i = 0; i < sizeof os_release_ids / sizeof os_release_ids[0]; i++)
    if (strcmp (id, os_release_ids[i].id) == 0)
      return os_release_ids[i].distro;
  return NULL;
}

/* KEY=value lines: fn (key, unquoted value). */
struct kv {
  void (*fn) (const char *key, char *value, void *opaque);
  void *opaque;
};

static int
kv_line (char *line, void *opaque)
{
  struct kv *kv = opaque;
  char *eq = strchr (line, '=');

  while (*line == ' ' || *line == '\t')
    line++;
  if (*line == '#' || eq == NULL)
    return 0;
  *eq = '\0';
  inspect_unquote (eq + 1);
  kv->fn (line, eq + 1, kv->opaque);
  return 0;
}

static int
parse_kv_file (const char *path,
               void (*fn) (const char *, char *, void *), void *opaque)
{
  char *buf;
  struct kv kv = { fn, opaque };

  if (inspect_read_file (path, INSPECT_MAX_SMALL_FILE, &buf, NULL) < 0)
    return -1;
  inspect_each_line (buf, kv_line, &kv);
  free (buf);
  return 0;
}

static void
os_release_kv (const char *key, char *value, void *opaque)
{
  struct facts *f = opaque;

  if (strcmp (key, "ID") == 0) {
    const char *d = distro_of_os_release_id (value);
    if (d)
      set_str (&f->distro, d);
  } else if (strcmp (key, "PRETTY_NAME") == 0)
    set_str (&f->product_name, value);
  else if (strcmp (key, "VERSION_ID") == 0) {
    /* NeoKylin's V<major>Update<minor>. */
    if (!match_version (value, "^V([0-9]+)Update([0-9]+)$", f))
      parse_major_minor (value, f);
  } else if (strcmp (key, "BUILD_ID") == 0)
    set_str (&f->build_id, value);
}

static int
is_rolling (const char *distro)
{
  return strcmp (distro, "archlinux") == 0 || strcmp (distro, "gentoo") == 0
    || strcmp (distro, "voidlinux") == 0;
}

static int
parse_os_release (const char *path, struct facts *f)
{
  if (parse_kv_file (path, os_release_kv, f) < 0)
    return 0;
  if (f->distro == NULL || f->product_name == NULL)
    return 0;
  /* Debian's and CentOS's VERSION_ID holds the major version only: the
   * older release file has the minor one. */
  if ((strcmp (f->distro, "debian") == 0 || strcmp (f->distro, "centos") == 0
       || strcmp (f->distro, "rocky") == 0)
      && f->have_version && f->minor == 0)
    return 0;
  if (!f->have_version && is_rolling (f->distro)) {
    f->have_version = 1;
    f->major = f->minor = 0;
    return 1;
  }
  return f->have_version;
}

struct lsb {
  struct facts *f;
  int ok;
};

static void
lsb_kv (const char *key, char *value, void *opaque)
{
  struct lsb *l = opaque;
  static const struct { const char *id, *distro; } ids[] = {
    { "CoreOS", "coreos" }, { "LinuxMint", "linuxmint" },
    { "Mageia", "mageia" }, { "Ubuntu", "ubuntu" },
  };
  size_t i;

  if (strcmp (key, "DISTRIB_ID") == 0) {
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
      if (strcmp (value, ids[i].id) == 0) {
        set_str (&l->f->distro, ids[i].distro);
        l->ok = 1;
      }
  } else if (strcmp (key, "DISTRIB_RELEASE") == 0)
    parse_major_minor (value, l->f);
  else if (strcmp (key, "DISTRIB_DESCRIPTION") == 0) {
    set_str (&l->f->product_name, value);
    l->ok = 1;
  }
}

static int
parse_lsb_release (const char *path, struct facts *f)
{
  struct lsb l = { f, 0 };

  if (parse_kv_file (path, lsb_kv, &l) < 0)
    return 0;
  return l.ok;
}

/* First line of a release file as the product name; with a regex, the
 * line must match and gives the version; without, the version is
 * guessed from the line. */
static int
parse_generic (const char *path, const char *distro, const char *re,
               struct facts *f)
{
  char *buf, *nl;
  int ok = 1;

  if (inspect_read_file (path, INSPECT_MAX_SMALL_FILE, &buf, NULL) < 0)
    return 0;
  nl = strchr (buf, '\n');
  if (nl)
    *nl = '\0';
  if (buf[0] == '\0') {
    free (buf);
    return 0;
  }
  set_str (&f->product_name, buf);
  set_str (&f->distro, distro);
  if (re)
    ok = match_version (buf, re, f);
  else
    parse_major_minor (buf, f);
  free (buf);
  return ok;
}

static int
parse_suse_release (const char *path, struct facts *f)
{
  char *buf, *l1, *l2 = NULL, *l3 = NULL;
  regex_t rx;
  int sles = 0;

  if (inspect_read_file (path, INSPECT_MAX_SMALL_FILE, &buf, NULL) < 0)
    return 0;
  l1 = buf;
  if ((l2 = strchr (l1, '\n'))) {
    *l2++ = '\0';
    if ((l3 = strchr (l2, '\n'))) {
      *l3++ = '\0';
      char *e = strchr (l3, '\n');
      if (e)
        *e = '\0';
    }
  }
  if (l1[0] == '\0') {
    free (buf);
    return 0;
  }
  set_str (&f->product_name, l1);
  if (regcomp (&rx, "^(SUSE (Linux|LINUX) Enterprise |Novell Linux Desktop )",
               REG_EXTENDED | REG_NOSUB) == 0) {
    sles = regexec (&rx, l1, 0, NULL, 0) == 0;
    regfree (&rx);
  }
  if (sles) {
    set_str (&f->distro, "sles");
    if (l2 && match_version (l2, "^VERSION = ([0-9]+)", f)) {
      struct facts pl = { 0 };
      if (l3 && match_version (l3, "^PATCHLEVEL = ([0-9]+)", &pl))
        f->minor = pl.major;
    }
  } else if (regcomp (&rx, "^(openSUSE|SuSE Linux|SUSE LINUX) ",
                      REG_EXTENDED | REG_NOSUB) == 0) {
    if (regexec (&rx, l1, 0, NULL, 0) == 0) {
      set_str (&f->distro, "opensuse");
      if (l2)
        parse_major_minor (l2, f);
    }
    regfree (&rx);
  }
  free (buf);
  return 1;
}

/* One test of the table: when the file exists, a parser. */
enum how { OS_RELEASE, LSB_RELEASE, GENERIC, SUSE, SET_ONLY };

static const struct release_test {
  const char *path;
  enum how how;
  const char *distro;
  const char *re;
} linux_tests[] = {
  { "/etc/os-release", OS_RELEASE, NULL, NULL },
  { "/etc/lsb-release", LSB_RELEASE, NULL, NULL },
  { "/etc/oracle-release", GENERIC, "oraclelinux",
    "Oracle Linux.*release ([0-9]+).*Update ([0-9]+)" },
  { "/etc/oracle-release", GENERIC, "oraclelinux",
    "Oracle Linux.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/oracle-release", GENERIC, "oraclelinux",
    "Oracle Linux.*release ([0-9]+)" },
  { "/etc/centos-release", GENERIC, "centos",
    "CentOS.*release ([0-9]+).*Update ([0-9]+)" },
  { "/etc/centos-release", GENERIC, "centos",
    "CentOS.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/centos-release", GENERIC, "centos", "CentOS.*release ([0-9]+)" },
  { "/etc/rocky-release", GENERIC, "rocky",
    "Rocky Linux.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/rocky-release", GENERIC, "rocky", "Rocky Linux.*release ([0-9]+)" },
  { "/etc/altlinux-release", GENERIC, "altlinux", NULL },
  { "/etc/redhat-release", GENERIC, "fedora", "Fedora release ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "rhel",
    "Red Hat.*release ([0-9]+).*Update ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "rhel",
    "Red Hat.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "rhel", "Red Hat.*release ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "centos",
    "CentOS.*release ([0-9]+).*Update ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "centos",
    "CentOS.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "centos", "CentOS.*release ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "rocky",
    "Rocky Linux.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "rocky", "Rocky Linux.*release ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "scientificlinux",
    "Scientific Linux.*release ([0-9]+).*Update ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "scientificlinux",
    "Scientific Linux.*release ([0-9]+)\\.([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "scientificlinux",
    "Scientific Linux.*release ([0-9]+)" },
  { "/etc/redhat-release", GENERIC, "redhat-based", NULL },
  { "/etc/redhat-release", SET_ONLY, "redhat-based", NULL },
  { "/etc/debian_version", GENERIC, "debian", NULL },
  { "/etc/pardus-release", GENERIC, "pardus", NULL },
  { "/etc/arch-release", SET_ONLY, "archlinux", NULL },
  { "/etc/gentoo-release", GENERIC, "gentoo", NULL },
  { "/etc/meego-release", GENERIC, "meego", NULL },
  { "/etc/slackware-version", GENERIC, "slackware", NULL },
  { "/etc/ttylinux-target", GENERIC, "ttylinux", NULL },
  { "/etc/SuSE-release", SUSE, NULL, NULL },
  { "/etc/SuSE-release", SET_ONLY, "suse-based", NULL },
  { "/etc/cirros/version", GENERIC, "cirros", NULL },
  { "/etc/alpine-release", GENERIC, "alpinelinux", NULL },
  { "/etc/frugalware-release", GENERIC, "frugalware",
    "Frugalware ([0-9]+)\\.([0-9]+)" },
  { "/etc/pld-release", GENERIC, "pldlinux", "([0-9]+)\\.([0-9]+) PLD Linux" },
};

static void
check_release_files (struct facts *f)
{
  size_t i;

  for (i = 0; i < sizeof linux_tests / sizeof linux_tests[0]; i++) {
    const struct release_test *t = &linux_tests[i];
    int done = 0;

    if (!inspect_is_file (t->path))
      continue;
    switch (t->how) {
    case OS_RELEASE: done = parse_os_release (t->path, f); break;
    case LSB_RELEASE: done = parse_lsb_release (t->path, f); break;
    case GENERIC: done = parse_generic (t->path, t->distro, t->re, f); break;
    case SUSE: done = parse_suse_release (t->path, f); break;
    case SET_ONLY: set_str (&f->distro, t->distro); done = 1; break;
    }
    if (done)
      return;
  }
}

/* ---------------------------------------------------------------- */
/* Package format and management: a function of the distro.          */

static const char *
package_format_of (const char *d)
{
  static const char *const rpm[] = {
    "altlinux", "centos", "fedora", "mageia", "mandriva", "meego",
    "neokylin", "opensuse", "oraclelinux", "redhat-based", "rhel",
    "rocky", "almalinux", "scientificlinux", "sles", "suse-based",
    "openmandriva", NULL };
  static const char *const deb[] = {
    "debian", "kalilinux", "linuxmint", "ubuntu", NULL };
  size_t i;

  if (d == NULL)
    return "unknown";
  for (i = 0; rpm[i]; i++)
    if (strcmp (d, rpm[i]) == 0)
      return "rpm";
  for (i = 0; deb[i]; i++)
    if (strcmp (d, deb[i]) == 0)
      return "deb";
  if (strcmp (d, "archlinux") == 0) return "pacman";
  if (strcmp (d, "gentoo") == 0) return "ebuild";
  if (strcmp (d, "pardus") == 0) return "pisi";
  if (strcmp (d, "alpinelinux") == 0) return "apk";
  if (strcmp (d, "voidlinux") == 0) return "xbps";
  return "unknown";
}

static const char *
package_management_of (const char *d, int major)
{
  if (d == NULL)
    return "unknown";
  if (strcmp (d, "meego") == 0)
    return "yum";
  if (strcmp (d, "fedora") == 0) {
    if (major >= 22 && inspect_is_file ("/usr/bin/dnf"))
      return "dnf";
    return major >= 1 ? "yum" : "unknown";
  }
  if (strcmp (d, "neokylin") == 0 || strcmp (d, "openmandriva") == 0)
    return "dnf";
  if (strcmp (d, "centos") == 0 || strcmp (d, "oraclelinux") == 0
      || strcmp (d, "redhat-based") == 0 || strcmp (d, "rhel") == 0
      || strcmp (d, "scientificlinux") == 0 || strcmp (d, "rocky") == 0
      || strcmp (d, "almalinux") == 0) {
    if (major >= 8) return "dnf";
    if (major >= 5) return "yum";
    if (major >= 2) return "up2date";
    return "unknown";
  }
  if (strcmp (d, "altlinux") == 0 || strcmp (d, "debian") == 0
      || strcmp (d, "kalilinux") == 0 || strcmp (d, "linuxmint") == 0
      || strcmp (d, "ubuntu") == 0)
    return "apt";
  if (strcmp (d, "archlinux") == 0) return "pacman";
  if (strcmp (d, "gentoo") == 0) return "portage";
  if (strcmp (d, "pardus") == 0) return "pisi";
  if (strcmp (d, "mageia") == 0 || strcmp (d, "mandriva") == 0)
    return "urpmi";
  if (strcmp (d, "opensuse") == 0 || strcmp (d, "sles") == 0
      || strcmp (d, "suse-based") == 0)
    return "zypper";
  if (strcmp (d, "alpinelinux") == 0) return "apk";
  if (strcmp (d, "voidlinux") == 0) return "xbps";
  return "unknown";
}

static char *
osinfo_of (const char *d, int major, int minor)
{
  char *s = NULL;
  int r = -1;

  if (d == NULL)
    return strdup ("unknown");
  if (strcmp (d, "centos") == 0) {
    if (major >= 8) r = asprintf (&s, "centos%d", major);
    else if (major == 7) r = asprintf (&s, "centos7.0");
    else if (major == 6) r = asprintf (&s, "centos6.%d", minor);
  } else if (strcmp (d, "rocky") == 0 || strcmp (d, "almalinux") == 0) {
    if (major >= 8) r = asprintf (&s, "%s%d", d, major);
  } else if (strcmp (d, "debian") == 0) {
    if (major >= 4) r = asprintf (&s, "debian%d", major);
  } else if (strcmp (d, "fedora") == 0 || strcmp (d, "mageia") == 0)
    r = asprintf (&s, "%s%d", d, major);
  else if (strcmp (d, "sles") == 0)
    r = minor == 0 ? asprintf (&s, "sles%d", major)
      : asprintf (&s, "sles%dsp%d", major, minor);
  else if (strcmp (d, "ubuntu") == 0)
    r = asprintf (&s, "ubuntu%d.%02d", major, minor);
  else if (is_rolling (d))
    r = asprintf (&s, "%s", d);
  else if (strcmp (d, "altlinux") == 0)
    r = major >= 8 ? asprintf (&s, "alt%d.%d", major, minor)
      : asprintf (&s, "altlinux%d.%d", major, minor);
  if (r == -1 && (major > 0 || minor > 0))
    r = asprintf (&s, "%s%d.%d", d, major, minor);
  if (r == -1)
    return strdup ("unknown");
  return s;
}

/* ---------------------------------------------------------------- */
/* Architecture, hostname.                                            */

static char *
check_arch (void)
{
  static const char *const bins[] = {
    "/bin/bash", "/bin/ls", "/bin/echo", "/bin/rm", "/bin/sh", NULL };
  unsigned char buf[4096];
  size_t i;

  for (i = 0; bins[i]; i++) {
    ssize_t n;
    const char *arch;

    if (!inspect_is_file (bins[i]))
      continue;
    n = fsop_pread (bins[i], buf, sizeof buf, 0);
    if (n <= 0)
      continue;
    arch = inspect_binary_arch (buf, n);
    if (arch)
      return strdup (arch);
  }
  return NULL;
}

static int
first_hostname_line (char *line, void *opaque)
{
  char **out = opaque;

  while (*line == ' ' || *line == '\t')
    line++;
  if (*line == '\0' || *line == '#')
    return 0;
  *out = inspect_strdup_field (line);
  return 1;
}

static void
sysconfig_kv (const char *key, char *value, void *opaque)
{
  if (strcmp (key, "HOSTNAME") == 0)
    set_str (opaque, value);
}

static char *
check_hostname (void)
{
  static const char *const files[] = { "/etc/HOSTNAME", "/etc/hostname", NULL };
  size_t i;

  for (i = 0; files[i]; i++) {
    char *buf, *h = NULL;

    if (inspect_read_file (files[i], INSPECT_MAX_SMALL_FILE, &buf, NULL) < 0)
      continue;
    inspect_each_line (buf, first_hostname_line, &h);
    free (buf);
    if (h)
      return h;
  }
  if (inspect_is_file ("/etc/sysconfig/network")) {
    char *h = NULL;

    parse_kv_file ("/etc/sysconfig/network", sysconfig_kv, &h);
    if (h && h[0])
      return h;
    free (h);
  }
  return NULL;
}

/* ---------------------------------------------------------------- */
/* fstab: read here (inside the private mount), resolved later.       */

/* fstab's octal escapes (\040 for a space) decoded in place. */
static void
fstab_unescape (char *s)
{
  char *d = s;

  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0'
        && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
      char c = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
      if (c != '\0') {
        *d++ = c;
        s += 3;
        continue;
      }
    }
    *d++ = *s;
  }
  *d = '\0';
}

/* "///usr//local/" -> "/usr/local". */
static void
canonical_path (char *p)
{
  char *s = p, *d = p;

  while (*s) {
    if (*s == '/' && (s[1] == '/' || (s[1] == '\0' && d > p)))
      s++;
    else
      *d++ = *s++;
  }
  *d = '\0';
  if (d > p + 1 && d[-1] == '/')
    d[-1] = '\0';
}

static int
ignored_mountpoint (const char *mp)
{
  static const char *const dirs[] = { "/dev", "/proc", "/selinux", "/sys", NULL };
  size_t i, n;

  if (strncmp (mp, "/media/", 7) == 0)
    return 1;
  for (i = 0; dirs[i]; i++) {
    n = strlen (dirs[i]);
    if (strncmp (mp, dirs[i], n) == 0 && (mp[n] == '\0' || mp[n] == '/'))
      return 1;
  }
  return 0;
}

static int
ignored_spec (const char *spec)
{
  if ((strncmp (spec, "/dev/fd", 7) == 0 || strncmp (spec, "/dev/cd", 7) == 0)
      && isdigit ((unsigned char) spec[7]))
    return 1;
  return strcmp (spec, "/dev/floppy") == 0 || strcmp (spec, "/dev/cdrom") == 0
    || strncmp (spec, "/dev/iso9660/", 13) == 0;
}

struct fstab_read {
  struct inspect_root *root;
  size_t cap;
};

static int
fstab_line (char *line, void *opaque)
{
  struct fstab_read *fr = opaque;
  struct inspect_root *root = fr->root;
  char *spec, *mp, *vfstype, *save = NULL;

  spec = strtok_r (line, " \t", &save);
  if (spec == NULL || spec[0] == '#')
    return 0;
  mp = strtok_r (NULL, " \t", &save);
  vfstype = strtok_r (NULL, " \t", &save);
  if (mp == NULL || vfstype == NULL)
    return 0;                   /* an incomplete line is skipped */
  fstab_unescape (spec);
  fstab_unescape (mp);
  if (ignored_spec (spec))
    return 0;
  canonical_path (mp);
  if (ignored_mountpoint (mp))
    return 0;
  if (strncmp (spec, "UUID=", 5) != 0 && strncmp (spec, "LABEL=", 6) != 0
      && strncmp (spec, "PARTUUID=", 9) != 0 && strncmp (spec, "/dev/", 5) != 0)
    return 0;                   /* tmpfs, proc, network filesystems ... */
  if (root->nfstab >= INSPECT_MAX_FSTAB_ENTRIES)
    return 1;
  if (root->nfstab == fr->cap) {
    size_t cap = fr->cap ? fr->cap * 2 : 8;
    struct inspect_fstab_entry *e = realloc (root->fstab, cap * sizeof *e);
    if (e == NULL)
      return 1;
    root->fstab = e;
    fr->cap = cap;
  }
  root->fstab[root->nfstab].device = inspect_strdup_field (spec);
  root->fstab[root->nfstab].mountpoint = inspect_strdup_field (mp);
  if (root->fstab[root->nfstab].device == NULL
      || root->fstab[root->nfstab].mountpoint == NULL) {
    free (root->fstab[root->nfstab].device);
    free (root->fstab[root->nfstab].mountpoint);
    return 1;
  }
  root->nfstab++;
  return 0;
}

static void
read_fstab (struct inspect_root *root)
{
  struct fstab_read fr = { root, 0 };
  char *buf;

  /* An fstab too big to be real, or unreadable, counts as none. */
  if (inspect_read_file ("/etc/fstab", INSPECT_MAX_FSTAB, &buf, NULL) < 0)
    return;
  inspect_each_line (buf, fstab_line, &fr);
  free (buf);
}

/* ---------------------------------------------------------------- */

static int
is_linux_root (void)
{
  return inspect_is_dir ("/etc")
    && (inspect_is_dir ("/bin") || inspect_is_symlink_to ("/bin", "usr/bin"))
    && (inspect_is_file ("/etc/fstab") || inspect_is_file ("/etc/hosts"));
}

static char *
or_unknown (char *s)
{
  return s ? s : strdup ("unknown");
}

int
inspect_fs_check (const char *device, struct inspect_root *root)
{
  struct facts f = { 0 };

  memset (root, 0, sizeof *root);
  if (!is_linux_root ())
    return 0;

  check_release_files (&f);
  root->device = strdup (device);
  root->type = strdup ("linux");
  root->package_format = strdup (package_format_of (f.distro));
  root->package_management =
    strdup (package_management_of (f.distro, f.have_version ? f.major : 0));
  root->osinfo = osinfo_of (f.distro, f.have_version ? f.major : 0,
                            f.have_version ? f.minor : 0);
  root->distro = or_unknown (f.distro);
  root->product_name = or_unknown (f.product_name);
  root->product_variant = strdup ("unknown");
  root->build_id = or_unknown (f.build_id);
  root->major = f.have_version ? f.major : 0;
  root->minor = f.have_version ? f.minor : 0;
  root->arch = or_unknown (check_arch ());
  root->hostname = or_unknown (check_hostname ());
  read_fstab (root);
  if (!root->device || !root->type || !root->package_format
      || !root->package_management || !root->osinfo || !root->distro
      || !root->product_name || !root->product_variant || !root->build_id
      || !root->arch || !root->hostname) {
    inspect_root_free (root);
    return -ENOMEM;
  }
  return 1;
}
