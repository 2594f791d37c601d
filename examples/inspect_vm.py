"""Prints what inspection finds in a disk image: each operating system,
its version, architecture, hostname and mountpoints, then mounts it
read-only and lists its first applications.

    ./run python3 examples/inspect_vm.py disk.img
"""

import sys

import minnow

MAX_APPS = 10


def main(disk):
    g = minnow.Minnow()
    g.add_drive(disk, readonly=True)
    g.launch()

    roots = g.inspect_os()
    if not roots:
        print("%s: no operating system found" % disk, file=sys.stderr)
        return 1

    for i, root in enumerate(roots):
        if i > 0:
            print()
        print("Root device: %s" % root)
        print("  Product name:       %s" % g.inspect_get_product_name(root))
        print("  Version:            %d.%d" % (
            g.inspect_get_major_version(root),
            g.inspect_get_minor_version(root)))
        print("  Type:               %s" % g.inspect_get_type(root))
        print("  Distro:             %s" % g.inspect_get_distro(root))
        print("  Architecture:       %s" % g.inspect_get_arch(root))
        print("  Hostname:           %s" % g.inspect_get_hostname(root))
        print("  Package format:     %s" % g.inspect_get_package_format(root))
        print("  osinfo:             %s" % g.inspect_get_osinfo(root))

        # Mount shortest mountpoint first, so that /boot goes over /.
        mps = dict(g.inspect_get_mountpoints(root))
        for mp in sorted(mps, key=len):
            print("  Mountpoint:         %-10s %s" % (mp, mps[mp]))
            try:
                g.mount_ro(mps[mp], mp)
            except minnow.Error as e:
                print("    (not mounted: %s)" % e)

        try:
            apps = g.inspect_list_applications2(root)
            print("  Applications:       %d installed" % len(apps))
            for a in apps[:MAX_APPS]:
                release = "-" + a["app2_release"] if a["app2_release"] else ""
                print("    %s %s%s" % (a["app2_name"], a["app2_version"],
                                       release))
            if len(apps) > MAX_APPS:
                print("    ...")
        except minnow.Error as e:
            print("  Applications:       %s" % e)
        g.umount_all()

    g.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: inspect_vm.py disk.img", file=sys.stderr)
        sys.exit(1)
    sys.exit(main(sys.argv[1]))
