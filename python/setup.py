# pip install ./python (after `make`, which generates minnow.py and
# actions.c): builds the _minnow extension against the libminnow that
# pkg-config finds (the installed minnow.pc, or c/minnow-uninstalled.pc
# with PKG_CONFIG_PATH=c).  Nothing is downloaded: use
# pip install --no-build-isolation ./python where PyPI is unreachable.
import os
import shlex
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))


def pkgconfig(*args):
    try:
        out = subprocess.check_output(["pkg-config"] + list(args) + ["minnow"],
                                      universal_newlines=True)
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit("setup.py: pkg-config cannot find minnow.pc; "
                         "install libminnow or set PKG_CONFIG_PATH")
    return shlex.split(out)


def version():
    return pkgconfig("--modversion")[0]


for generated in ("minnow.py", "actions.c"):
    if not os.path.exists(os.path.join(here, generated)):
        raise SystemExit("setup.py: %s is missing: run make first "
                         "(it is generated from api.def)" % generated)

cflags = pkgconfig("--cflags")
libs = pkgconfig("--libs")

setup(
    name="minnow",
    version=version(),
    description="create, read and modify disk images (libguestfs's API, no VM)",
    license="LGPL-2.1-or-later",
    package_dir={"": here},
    py_modules=["minnow"],
    ext_modules=[Extension(
        "_minnow",
        sources=[os.path.join(here, "handle.c"), os.path.join(here, "actions.c")],
        include_dirs=[here] + [f[2:] for f in cflags if f.startswith("-I")],
        library_dirs=[f[2:] for f in libs if f.startswith("-L")],
        libraries=[f[2:] for f in libs if f.startswith("-l")],
        extra_compile_args=["-Wno-unused-parameter"],
    )],
)
