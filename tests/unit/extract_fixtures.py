#!/usr/bin/env python3
"""Layer tars for tests/unit/test_extract.c, written at test time.

usage: extract_fixtures.py OUTDIR

Each fixture is a small tar built with Python's tarfile (pax format), some
of them hostile on purpose: "..", absolute names, symlinks that point out
of the root, hard links that escape, whiteouts of "..", symlink loops and
a 10 000-deep path. The C tests check what extraction makes of them.
"""
import io
import os
import struct
import sys
import tarfile

MTIME = 1700000000


class Tar:
    def __init__(self, path):
        self.t = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)

    def add(self, name, type=tarfile.REGTYPE, data=b"", mode=0o644, link="",
            uid=0, gid=0, mtime=MTIME, xattrs=None, dev=(0, 0), pax=None):
        ti = tarfile.TarInfo(name)
        ti.type = type
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = mtime
        ti.linkname = link
        ti.devmajor, ti.devminor = dev
        headers = dict(pax or {})
        for k, v in (xattrs or {}).items():
            headers["SCHILY.xattr." + k] = v.decode("utf-8", "surrogateescape")
        ti.pax_headers = headers
        if type == tarfile.REGTYPE:
            ti.size = len(data)
            self.t.addfile(ti, io.BytesIO(data))
        else:
            self.t.addfile(ti)

    def file(self, name, data=b"", mode=0o644, **kw):
        self.add(name, data=data, mode=mode, **kw)

    def dir(self, name, mode=0o755, **kw):
        self.add(name, type=tarfile.DIRTYPE, mode=mode, **kw)

    def symlink(self, name, target, **kw):
        self.add(name, type=tarfile.SYMTYPE, link=target, mode=0o777, **kw)

    def hardlink(self, name, target, **kw):
        self.add(name, type=tarfile.LNKTYPE, link=target, **kw)

    def close(self):
        self.t.close()


def capability():
    # vfs_cap_data v2: magic | effective, permitted = CAP_NET_BIND_SERVICE
    return struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0)


def big_data(n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += (b"%08d quench extraction test data\n" % i)
        i += 1
    return bytes(out[:n])


def basic(t):
    t.dir("etc/")
    t.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
           b"user:x:1000:1000::/home/user:/bin/sh\n"
           b"nobody:x:65534:65534::/:/sbin/nologin\n")
    t.file("etc/group", b"root:x:0:\nusers:x:1000:\nnogroup:x:65534:\n")
    t.dir("usr/")
    t.dir("usr/bin/", mtime=1600000001)
    t.file("usr/bin/tool", b"#!/bin/sh\necho hi\n", 0o755, mtime=1600000000)
    t.file("usr/bin/su", b"setuid binary\n", 0o4755)
    t.file("usr/bin/sg", b"setgid binary\n", 0o2755, gid=50)
    t.file("usr/bin/ping", b"capable binary\n", 0o755,
           xattrs={"security.capability": capability(), "user.test": b"hello"})
    t.hardlink("usr/bin/tool2", "usr/bin/tool")
    t.hardlink("usr/bin/tool3", "./usr/bin/tool")
    t.symlink("usr/bin/sh", "tool")
    t.symlink("bin", "usr/bin")
    t.symlink("abs", "/usr/bin/tool")
    t.symlink("dangling", "/nonexistent/target")
    t.dir("tmp/", 0o1777)
    t.add("run/fifo", type=tarfile.FIFOTYPE, mode=0o600)
    t.add("dev/null", type=tarfile.CHRTYPE, mode=0o666, dev=(1, 3))
    t.dir("home/user/", 0o700, uid=1000, gid=1000)
    t.file("home/user/f", b"private\n", 0o600, uid=1000, gid=1000)
    t.file("usr/share/empty", b"")
    t.file("usr/share/big", big_data(3 * 1024 * 1024 + 17))
    t.dir("usr/share/doc/", xattrs={"user.dir": b"yes"})
    t.file("./opt//a/./b", b"normalized\n")
    t.file("/usr/share/absolute", b"abs\n")
    t.dir("a-b/")
    t.file("a-b/c", b"x")
    t.file("a.b", b"y")


def sparse(path):
    # PAX sparse 1.0: the map in the data area, then the data regions.
    real = 16 * 1024 * 1024
    chunks = [(0, b"A" * 4096), (8 * 1024 * 1024, b"B" * 4096)]
    m = "%d\n" % len(chunks)
    for off, d in chunks:
        m += "%d\n%d\n" % (off, len(d))
    m = m.encode()
    m += b"\0" * (-len(m) % 512)
    data = m + b"".join(d for _, d in chunks)
    t = Tar(path)
    t.dir("s/")
    t.add("s/GNUSparseFile.0/sparse", data=data, mode=0o640, pax={
        "GNU.sparse.major": "1", "GNU.sparse.minor": "0",
        "GNU.sparse.name": "s/sparse", "GNU.sparse.realsize": str(real)})
    t.close()


def whiteouts(out):
    t = Tar(out + "/wh1.tar")
    for d in ("a/", "d/", "d/sub/", "o/", "o/lowerdir/", "o/keepdir/", "keep/", "s/"):
        t.dir(d)
    for f in ("a/f", "a/g", "d/x", "d/sub/y", "o/lower1", "o/lowerdir/z",
              "o/keepdir/lowerfile", "keep/k", "s/lower"):
        t.file(f, b"lower\n")
    t.close()
    t = Tar(out + "/wh2.tar")
    t.file("a/.wh.f")
    t.file(".wh.d")
    t.file("a/h", b"same layer\n")
    t.file("a/.wh.h")                     # same layer: h survives
    t.dir("o/")
    t.file("o/new1", b"before the marker\n")
    t.dir("o/keepdir/")
    t.file("o/keepdir/newfile", b"new\n")
    t.file("o/.wh..wh..opq")
    t.file("o/new2", b"after the marker\n")
    t.file(".wh.missing")
    t.file("s/.wh.lower")
    t.file("s/lower", b"upper\n")
    t.close()


def replace(out):
    t = Tar(out + "/replace1.tar")
    t.dir("x/")
    t.file("x/child", b"c")
    t.file("y", b"file y")
    t.dir("w/")
    t.file("w/in", b"w")
    t.dir("kept/", 0o755)
    t.file("kept/old", b"old")
    t.close()
    t = Tar(out + "/replace2.tar")
    t.file("x", b"now a file")
    t.dir("y/")
    t.file("y/inner", b"inner")
    t.symlink("w", "y")
    t.dir("kept/", 0o750, mtime=1234567890)
    t.file("kept/new", b"new")
    t.close()


def rodir(out):
    t = Tar(out + "/rodir.tar")
    t.dir("ro/", 0o555)
    t.file("ro/file", b"ro", 0o444)
    t.dir("ro/sub/", 0o500)
    t.file("ro/sub/f", b"f", 0o400)
    t.dir("zero/", 0o000)
    t.file("zero/f", b"z", 0o000)
    t.close()
    t = Tar(out + "/rodir2.tar")
    t.file("ro/new", b"new")
    t.file("ro/.wh.file")
    t.file("ro/sub/g", b"g")
    t.file("zero/g", b"g")
    t.close()


def one(out, name, fill):
    t = Tar(out + "/" + name)
    fill(t)
    t.close()


def hostile(out):
    one(out, "dotdot.tar", lambda t: (t.file("ok", b"ok"), t.file("../quench_escape_dotdot", b"x")))
    one(out, "dotdot_mid.tar", lambda t: t.file("a/../../quench_escape_mid", b"x"))
    one(out, "abs.tar", lambda t: (t.file("/etc/quench_abs", b"abs"), t.dir("/abs_dir/")))
    one(out, "evil_root.tar", lambda t: (t.symlink("evil", "/"),
                                         t.file("evil/quench_escape_probe", b"x")))
    one(out, "evil_up.tar", lambda t: (t.symlink("evil", "../../../../../../.."),
                                       t.file("evil/quench_escape_up", b"x")))
    one(out, "evil_tmp.tar", lambda t: (t.symlink("evil", "/tmp/quench_escape_tmpdir"),
                                        t.file("evil/x", b"x")))
    one(out, "evil_etc.tar", lambda t: (t.symlink("etc", "/etc"),
                                        t.file("etc/quench_escape_etc", b"x")))
    one(out, "evil_final.tar", lambda t: (t.symlink("f", "/etc/passwd"),
                                          t.file("f", b"overwritten?")))
    one(out, "evil_dirlink.tar", lambda t: (t.symlink("d", "/"), t.dir("d/"),
                                            t.file("d/quench_escape_dirlink", b"x")))
    one(out, "hl_escape.tar", lambda t: t.hardlink("h", "etc/../../etc/passwd"))
    one(out, "hl_abs.tar", lambda t: t.hardlink("h", "/etc/passwd"))
    one(out, "hl_symlink.tar", lambda t: (t.dir("etc/"), t.file("etc/passwd", b"root's own\n"),
                                          t.symlink("s", "../../../etc"),
                                          t.hardlink("h", "s/passwd")))
    one(out, "hl_symlink2.tar", lambda t: (t.symlink("s", "/etc"), t.hardlink("h", "s/shadow")))
    one(out, "hl_dir.tar", lambda t: (t.dir("d/"), t.hardlink("h", "d")))
    one(out, "hl_link.tar", lambda t: (t.symlink("l", "/etc/passwd"), t.hardlink("h", "l")))
    one(out, "wh_dotdot.tar", lambda t: (t.dir("a/"), t.file("a/.wh..")))
    one(out, "wh_empty.tar", lambda t: t.file(".wh."))
    one(out, "wh_in_dir.tar", lambda t: t.file(".wh.x/y", b"y"))
    one(out, "loop.tar", lambda t: (t.symlink("l1", "l2"), t.symlink("l2", "l1"),
                                    t.file("l1/x", b"x")))
    one(out, "selfloop.tar", lambda t: (t.symlink("l", "l"), t.file("l/x", b"x")))
    one(out, "aufs.tar", lambda t: (t.dir(".wh..wh.plnk/"), t.file(".wh..wh.plnk/1.2", b"x"),
                                    t.file(".wh..wh.aufs", b""), t.file("ok", b"ok")))
    # The parent-directory cache must not outlive a replaced directory.
    one(out, "cache.tar", lambda t: (t.dir("x/"), t.dir("x/b/"), t.dir("a/"), t.dir("a/b/"),
                                     t.file("a/b/f", b"f"), t.symlink("a", "x"),
                                     t.file("a/b/g", b"g"), t.dir("d/"), t.file("d/f", b"f"),
                                     t.symlink("d", "/"), t.file("d/quench_cache", b"c")))
    # An opaque marker removes a directory that the cached parent "a/b"
    # resolved through ("a" -> "o/lower"): the next entry in "a/b" must
    # not land in the removed directory.
    one(out, "cache2a.tar", lambda t: (t.dir("o/"), t.dir("o/lower/"), t.symlink("a", "o/lower")))
    one(out, "cache2b.tar", lambda t: (t.dir("a/b/"), t.file("o/.wh..wh..opq"),
                                       t.file("a/b/f", b"f")))
    one(out, "dev.tar", lambda t: (
        t.add("dev/null", type=tarfile.CHRTYPE, mode=0o666, dev=(1, 3)),
        t.add("dev/loop0", type=tarfile.BLKTYPE, mode=0o660, dev=(7, 0)),
        t.add("dev/fifo", type=tarfile.FIFOTYPE, mode=0o644),
        t.file("dev/owned", b"x", uid=123, gid=456)))


def deep(out):
    one(out, "deep.tar", lambda t: t.file("d/" * 10000 + "f", b"bottom"))
    one(out, "deep_wh.tar", lambda t: t.file(".wh.d"))

    def dirs(t):
        for i in range(1, 1001):
            t.dir("e/" * i)
        t.file("e/" * 1000 + "f", b"bottom")
    one(out, "deepdirs.tar", dirs)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    one(out, "basic.tar", basic)
    sparse(out + "/sparse.tar")
    whiteouts(out)
    replace(out)
    rodir(out)
    hostile(out)
    deep(out)


if __name__ == "__main__":
    main()
