#!/usr/bin/env python3
"""iso/mkinitrd.py - build the initrd: a cpio "newc" archive (man 5 cpio).

    python3 iso/mkinitrd.py -o build/initrd.cpio bin/init=build/user/init ...

Each argument DEST=SRC puts the file SRC at /DEST in the archive (mode 0755
under bin/ and usr/libexec/, else 0644); the directories on the way are added first. The
output is deterministic: inode numbers count up, times are 0.
"""
import argparse
import os
import sys

MAGIC = b"070701"


def entry(ino, mode, name, data=b""):
    """One cpio newc record: header, name (NUL-terminated), data, each padded to 4."""
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(namez), 0]
    hdr = MAGIC + b"".join(b"%08x" % f for f in fields)
    rec = hdr + namez
    rec += b"\0" * (-len(rec) % 4)
    rec += data
    rec += b"\0" * (-len(rec) % 4)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("files", nargs="*", metavar="DEST=SRC")
    args = ap.parse_args()
    dirs, files = [], []
    for spec in args.files:
        dest, sep, src = spec.partition("=")
        if not sep:
            sys.exit(f"mkinitrd: {spec}: expected DEST=SRC")
        dest = dest.strip("/")
        parts = dest.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs:
                dirs.append(d)
        with open(src, "rb") as f:
            files.append((dest, f.read()))
    out = bytearray()
    ino = 1
    for d in dirs:
        out += entry(ino, 0o040755, d)
        ino += 1
    for dest, data in files:
        mode = 0o100755 if dest.startswith(("bin/", "usr/libexec/")) else 0o100644
        out += entry(ino, mode, dest, data)
        ino += 1
    out += entry(0, 0, "TRAILER!!!")
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
