#!/usr/bin/env python3
"""Print a canonical listing of a directory tree: one line per entry with
type, mode, owner, size, content hash or link target, hard-link group and
xattrs. Two trees are the same when their listings are equal."""
import hashlib
import os
import stat
import sys


def xattrs(path):
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return ""
    out = []
    for n in names:
        if n == "security.selinux" or n.startswith("user.rootlesscontainers"):
            continue
        try:
            out.append(n + "=" + os.getxattr(path, n, follow_symlinks=False).hex())
        except OSError:
            pass
    return ",".join(out)


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(root, ignore_owner):
    first_of_inode = {}
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            m = st.st_mode
            owner = "-" if ignore_owner else "%d:%d" % (st.st_uid, st.st_gid)
            what = ""
            if stat.S_ISREG(m):
                kind = "f"
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in first_of_inode:
                    what = "link=" + first_of_inode[key]
                else:
                    first_of_inode[key] = rel
                    what = "%d:%s" % (st.st_size, digest(p))
            elif stat.S_ISDIR(m):
                kind = "d"
            elif stat.S_ISLNK(m):
                kind = "l"
                what = os.readlink(p)
            elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
                kind = "c" if stat.S_ISCHR(m) else "b"
                what = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            elif stat.S_ISFIFO(m):
                kind = "p"
            else:
                kind = "?"
            perm = "%04o" % stat.S_IMODE(m) if kind != "l" else "-"
            lines.append("%s %s %s %s %s %s" % (rel, kind, perm, owner, what, xattrs(p)))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0], "--ignore-owner" in sys.argv)
