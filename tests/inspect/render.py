"""One text rendering of everything inspection says about an image, the
same for minnow and for libguestfs (whose Python binding has the same
call names), so that their answers can be compared line by line.

  python3 render.py --guestfs IMAGE...    libguestfs's answers (the oracle)
  python3 render.py IMAGE...              minnow's answers
"""

import sys


def open_handle(image, use_guestfs):
    if use_guestfs:
        import guestfs
        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_opts(image, readonly=1, format="raw")
    else:
        import minnow
        g = minnow.Minnow()
        g.add_drive(image, readonly=True, format="raw")
    g.launch()
    return g


GETTERS = ["type", "distro", "product_name", "product_variant",
           "major_version", "minor_version", "arch", "hostname",
           "package_format", "package_management", "osinfo", "build_id"]


def report(g):
    """The lines that describe the image open in g."""
    lines = []
    try:
        roots = g.inspect_os()
    except RuntimeError as e:
        return ["inspect_os: error: %s" % e]
    lines.append("roots: %s" % " ".join(roots))
    for root in roots:
        lines.append("root %s" % root)
        for name in GETTERS:
            get = getattr(g, "inspect_get_" + name, None)
            # inspect_get_build_id came in libguestfs 1.49.
            value = get(root) if get else "(no such call)"
            lines.append("  %s: %s" % (name, value))
        mps = dict(g.inspect_get_mountpoints(root))
        for mp in sorted(mps):
            lines.append("  mountpoint %s %s" % (mp, mps[mp]))
        for fs in g.inspect_get_filesystems(root):
            lines.append("  filesystem %s" % fs)
        # Mount the guest read-only as its fstab says, shortest first,
        # skipping what is not there, then list its applications.
        for mp in sorted(mps, key=len):
            try:
                g.mount_ro(mps[mp], mp)
            except RuntimeError:
                pass
        icon = g.inspect_get_icon(root)
        lines.append("  icon: %d bytes%s" % (
            len(icon), ", PNG" if icon[:4] == b"\x89PNG" else ""))
        try:
            apps = g.inspect_list_applications2(root)
            lines.append("  applications: %d" % len(apps))
            for a in apps:
                lines.append("  app %s %d %s %s %s %s | %s | %s" % (
                    a["app2_name"], a["app2_epoch"], a["app2_version"],
                    a["app2_release"], a["app2_arch"], a["app2_url"],
                    a["app2_source_package"], a["app2_summary"]))
        except RuntimeError as e:
            lines.append("  applications: error")
        g.umount_all()
    return lines


def main(argv):
    use_guestfs = False
    if argv and argv[0] == "--guestfs":
        use_guestfs = True
        argv = argv[1:]
    for image in argv:
        g = open_handle(image, use_guestfs)
        print("\n".join(report(g)))
        g.close()


if __name__ == "__main__":
    main(sys.argv[1:])
