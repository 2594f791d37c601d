# tests/fat: surgery on FAT images for the hostile-image tests.
#
#   fatimg.py IMAGE loop PATH        the file's last cluster links back
#                                    to its first (a cluster loop)
#   fatimg.py IMAGE crosslink A B    A's last cluster links to B's first
#   fatimg.py IMAGE dirloop DIR SUB  SUB (inside DIR) gets DIR's cluster
#   fatimg.py IMAGE bpb OFFSET BYTE  one byte of the boot sector
#
# Only short 8.3 names in PATH (upper case), FAT12/16/32 alike.

import struct
import sys


class Fat:
    def __init__(self, path):
        self.f = open(path, "r+b")
        b = self.f.read(512)
        self.bps, self.spc = struct.unpack_from("<HB", b, 11)
        res, nfats, rootent, tot16 = struct.unpack_from("<HBHH", b, 14)
        fat16, = struct.unpack_from("<H", b, 22)
        tot32, fat32 = struct.unpack_from("<II", b, 32)
        self.fatsz = fat16 or fat32
        total = tot16 or tot32
        self.fatoff = res * self.bps
        self.nfats = nfats
        self.rootoff = self.fatoff + nfats * self.fatsz * self.bps
        rootsec = (rootent * 32 + self.bps - 1) // self.bps
        self.rootent = rootent
        datasec = res + nfats * self.fatsz + rootsec
        self.dataoff = datasec * self.bps
        n = (total - datasec) // self.spc
        self.bits = 12 if n < 4085 else 16 if n < 65525 else 32
        self.rootclus = struct.unpack_from("<I", b, 44)[0] if self.bits == 32 else 0
        self.cs = self.bps * self.spc

    def fat_get(self, c):
        self.f.seek(self.fatoff)
        fat = self.f.read(self.fatsz * self.bps)
        if self.bits == 12:
            v = struct.unpack_from("<H", fat, c + c // 2)[0]
            return v >> 4 if c & 1 else v & 0xfff
        if self.bits == 16:
            return struct.unpack_from("<H", fat, 2 * c)[0]
        return struct.unpack_from("<I", fat, 4 * c)[0] & 0x0fffffff

    def fat_set(self, c, v):
        for k in range(self.nfats):
            base = self.fatoff + k * self.fatsz * self.bps
            if self.bits == 12:
                off = base + c + c // 2
                self.f.seek(off)
                old = struct.unpack("<H", self.f.read(2))[0]
                if c & 1:
                    new = (old & 0x000f) | (v << 4)
                else:
                    new = (old & 0xf000) | v
                self.f.seek(off)
                self.f.write(struct.pack("<H", new))
            elif self.bits == 16:
                self.f.seek(base + 2 * c)
                self.f.write(struct.pack("<H", v))
            else:
                self.f.seek(base + 4 * c)
                self.f.write(struct.pack("<I", v))

    def eoc(self, v):
        return v >= {12: 0xff8, 16: 0xfff8, 32: 0x0ffffff8}[self.bits]

    def chain(self, c):
        out = []
        while c >= 2 and not self.eoc(c) and len(out) < 1 << 20:
            out.append(c)
            c = self.fat_get(c)
        return out

    def dir_slots(self, cluster):
        """(offset of each 32-byte slot) of a directory."""
        if cluster == 0 and self.bits != 32:
            return [self.rootoff + 32 * i for i in range(self.rootent)]
        if cluster == 0:
            cluster = self.rootclus
        slots = []
        for c in self.chain(cluster):
            base = self.dataoff + (c - 2) * self.cs
            slots += [base + 32 * i for i in range(self.cs // 32)]
        return slots

    def find(self, path):
        """(slot offset, first cluster) of PATH's short entry."""
        cluster, pos = 0, None
        for comp in [p for p in path.split("/") if p]:
            base, _, ext = comp.partition(".")
            want = base.ljust(8).encode() + ext.ljust(3).encode()
            for off in self.dir_slots(cluster):
                self.f.seek(off)
                de = self.f.read(32)
                if de[0] == 0:
                    break
                if de[11] != 0x0f and de[:11] == want:
                    hi, = struct.unpack_from("<H", de, 20)
                    lo, = struct.unpack_from("<H", de, 26)
                    cluster = lo | (hi << 16 if self.bits == 32 else 0)
                    pos = off
                    break
            else:
                sys.exit("fatimg.py: %s not found" % path)
        return pos, cluster

    def set_cluster(self, pos, c):
        self.f.seek(pos + 20)
        self.f.write(struct.pack("<H", c >> 16 if self.bits == 32 else 0))
        self.f.seek(pos + 26)
        self.f.write(struct.pack("<H", c & 0xffff))


def main():
    img, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    fat = Fat(img)
    if what == "loop":
        _, c = fat.find(args[0])
        ch = fat.chain(c)
        fat.fat_set(ch[-1], ch[0])
    elif what == "crosslink":
        _, a = fat.find(args[0])
        _, b = fat.find(args[1])
        fat.fat_set(fat.chain(a)[-1], b)
    elif what == "dirloop":
        _, d = fat.find(args[0])
        pos, _ = fat.find(args[0] + "/" + args[1])
        fat.set_cluster(pos, d)
    elif what == "bpb":
        fat.f.seek(int(args[0]))
        fat.f.write(bytes([int(args[1], 0)]))
    else:
        sys.exit("fatimg.py: unknown operation " + what)
    fat.f.close()


main()
