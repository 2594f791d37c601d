/* minnow: file_architecture: the architecture of a binary, from its
 * ELF or PE header, named as libguestfs names it. */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "storage-actions.h"
#include "inspect.h"
#include "actions.h"

static unsigned
get16 (const unsigned char *p, int big_endian)
{
  return big_endian ? (unsigned) (p[0] << 8 | p[1])
    : (unsigned) (p[1] << 8 | p[0]);
}

static const char *
elf_arch (const unsigned char *buf, size_t len)
{
  int is64, be;

  if (len < 20)
    return NULL;
  if (buf[4] != 1 && buf[4] != 2)
    return NULL;
  if (buf[5] != 1 && buf[5] != 2)
    return NULL;
  is64 = buf[4] == 2;
  be = buf[5] == 2;
  switch (get16 (buf + 18, be)) {
  case 2: return "sparc";
  case 3: return "i386";
  case 8: return is64 ? "mips64" : "mips";
  case 20: return "ppc";
  case 21: return be ? "ppc64" : "ppc64le";
  case 22: return is64 ? "s390x" : "s390";
  case 40: return "arm";
  case 43: return "sparc64";
  case 50: return "ia64";
  case 62: return "x86_64";
  case 183: return "aarch64";
  case 243: return is64 ? "riscv64" : "riscv32";
  case 258: return "loongarch64";
  default: return NULL;
  }
}

static const char *
pe_arch (const unsigned char *buf, size_t len)
{
  uint32_t off;

  if (len < 0x40)
    return NULL;
  off = (uint32_t) buf[0x3c] | (uint32_t) buf[0x3d] << 8
    | (uint32_t) buf[0x3e] << 16 | (uint32_t) buf[0x3f] << 24;
  if (off > len - 6 || memcmp (buf + off, "PE\0\0", 4) != 0)
    return NULL;
  switch (get16 (buf + off + 4, 0)) {
  case 0x014c: return "i386";
  case 0x8664: return "x86_64";
  case 0xaa64: return "aarch64";
  case 0x01c0: case 0x01c4: return "arm";
  case 0x0200: return "ia64";
  default: return NULL;
  }
}

const char *
inspect_binary_arch (const unsigned char *buf, size_t len)
{
  if (len >= 4 && memcmp (buf, "\x7f" "ELF", 4) == 0)
    return elf_arch (buf, len);
  if (len >= 2 && buf[0] == 'M' && buf[1] == 'Z')
    return pe_arch (buf, len);
  return NULL;
}

char *
do_file_architecture (const char *filename)
{
  unsigned char buf[4096];
  struct engine_stat st;
  const char *arch;
  char *ret;
  ssize_t n;
  int r;

  r = fsop_stat (filename, 0, &st);
  if (r < 0) {
    reply_errno_path (r, filename);
    return NULL;
  }
  if (!S_ISREG (st.mode)) {
    reply_with_error_errno (EINVAL, "%s: not a regular file", filename);
    return NULL;
  }
  n = fsop_pread (filename, buf, sizeof buf, 0);
  if (n < 0) {
    reply_errno_path ((int) n, filename);
    return NULL;
  }
  arch = inspect_binary_arch (buf, (size_t) n);
  if (arch == NULL) {
    reply_with_error_errno (EINVAL, "%s: unknown architecture (not an ELF "
                            "or PE binary of a known machine)", filename);
    return NULL;
  }
  ret = strdup (arch);
  if (ret == NULL)
    reply_with_perror ("strdup");
  return ret;
}
