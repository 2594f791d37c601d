/* minnow: errno values <-> portable names.  See errnostring.h. */

#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "errnostring.h"

struct errno_name {
  int value;
  const char *name;
};

/* Every errno the daemon may plausibly report (minnow runs on Linux, where
 * all of these exist).  Aliases (EWOULDBLOCK, EOPNOTSUPP, EDEADLOCK) map to
 * their canonical name. */
static const struct errno_name errno_names[] = {
  { E2BIG, "E2BIG" },
  { EACCES, "EACCES" },
  { EADDRINUSE, "EADDRINUSE" },
  { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
  { EAFNOSUPPORT, "EAFNOSUPPORT" },
  { EAGAIN, "EAGAIN" },
  { EALREADY, "EALREADY" },
  { EBADF, "EBADF" },
  { EBADMSG, "EBADMSG" },
  { EBUSY, "EBUSY" },
  { ECANCELED, "ECANCELED" },
  { ECHILD, "ECHILD" },
  { ECONNABORTED, "ECONNABORTED" },
  { ECONNREFUSED, "ECONNREFUSED" },
  { ECONNRESET, "ECONNRESET" },
  { EDEADLK, "EDEADLK" },
  { EDESTADDRREQ, "EDESTADDRREQ" },
  { EDOM, "EDOM" },
  { EDQUOT, "EDQUOT" },
  { EEXIST, "EEXIST" },
  { EFAULT, "EFAULT" },
  { EFBIG, "EFBIG" },
  { EHOSTUNREACH, "EHOSTUNREACH" },
  { EIDRM, "EIDRM" },
  { EILSEQ, "EILSEQ" },
  { EINPROGRESS, "EINPROGRESS" },
  { EINTR, "EINTR" },
  { EINVAL, "EINVAL" },
  { EIO, "EIO" },
  { EISCONN, "EISCONN" },
  { EISDIR, "EISDIR" },
  { ELOOP, "ELOOP" },
  { EMFILE, "EMFILE" },
  { EMLINK, "EMLINK" },
  { EMSGSIZE, "EMSGSIZE" },
  { ENAMETOOLONG, "ENAMETOOLONG" },
  { ENETDOWN, "ENETDOWN" },
  { ENETRESET, "ENETRESET" },
  { ENETUNREACH, "ENETUNREACH" },
  { ENFILE, "ENFILE" },
  { ENOBUFS, "ENOBUFS" },
  { ENODATA, "ENODATA" },
  { ENODEV, "ENODEV" },
  { ENOENT, "ENOENT" },
  { ENOEXEC, "ENOEXEC" },
  { ENOLCK, "ENOLCK" },
  { ENOMEM, "ENOMEM" },
  { ENOMSG, "ENOMSG" },
  { ENOPROTOOPT, "ENOPROTOOPT" },
  { ENOSPC, "ENOSPC" },
  { ENOSYS, "ENOSYS" },
  { ENOTBLK, "ENOTBLK" },
  { ENOTCONN, "ENOTCONN" },
  { ENOTDIR, "ENOTDIR" },
  { ENOTEMPTY, "ENOTEMPTY" },
  { ENOTSOCK, "ENOTSOCK" },
  { ENOTSUP, "ENOTSUP" },
  { ENOTTY, "ENOTTY" },
  { ENXIO, "ENXIO" },
  { EOVERFLOW, "EOVERFLOW" },
  { EPERM, "EPERM" },
  { EPIPE, "EPIPE" },
  { EPROTO, "EPROTO" },
  { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
  { EPROTOTYPE, "EPROTOTYPE" },
  { ERANGE, "ERANGE" },
  { EROFS, "EROFS" },
  { ESPIPE, "ESPIPE" },
  { ESRCH, "ESRCH" },
  { ESTALE, "ESTALE" },
  { ETIMEDOUT, "ETIMEDOUT" },
  { ETXTBSY, "ETXTBSY" },
  { EXDEV, "EXDEV" },
  { EUCLEAN, "EUCLEAN" },
};

#define N_ERRNO_NAMES (sizeof errno_names / sizeof errno_names[0])

const char *
minnow_errno_to_string (int errnum)
{
  size_t i;

  if (errnum == 0)
    return NULL;
#if defined EOPNOTSUPP && EOPNOTSUPP != ENOTSUP
  if (errnum == EOPNOTSUPP)
    errnum = ENOTSUP;
#endif
#if defined EWOULDBLOCK && EWOULDBLOCK != EAGAIN
  if (errnum == EWOULDBLOCK)
    errnum = EAGAIN;
#endif
  for (i = 0; i < N_ERRNO_NAMES; ++i)
    if (errno_names[i].value == errnum)
      return errno_names[i].name;
  return NULL;
}

int
minnow_string_to_errno (const char *name)
{
  size_t i;

  if (name == NULL || name[0] == '\0')
    return 0;
  if (strcmp (name, "EOPNOTSUPP") == 0)
    name = "ENOTSUP";
  else if (strcmp (name, "EWOULDBLOCK") == 0)
    name = "EAGAIN";
  else if (strcmp (name, "EDEADLOCK") == 0)
    name = "EDEADLK";
  for (i = 0; i < N_ERRNO_NAMES; ++i)
    if (strcmp (errno_names[i].name, name) == 0)
      return errno_names[i].value;
  return 0;
}
