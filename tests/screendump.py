"""Screendumps of a headless QEMU, and pixel checks on them (plain stdlib).

The guest asks for a picture on its serial console, one line:

    @@screendump NAME [X,Y=RRGGBB[:LABEL] ...]

and then waits, reading a line from its console. The harness takes the
screendump through QEMU's QMP socket (command "screendump": a PPM file of
what the display shows), checks each pixel, and only then answers

    @@screendump-done NAME ok|bad

so the guest does not change the picture while QEMU copies it. The
picture stays in the log directory as <boot>-<NAME>.ppm and .png. Each
request is one test result, <boot>/screendump-NAME; a bad pixel fails it
with the colour expected and the colour seen (LABEL says what the pixel
stands for, e.g. "pfn_0x1234_kernel"; no spaces).

Used by tests/harness.py (boots with a "screendumps" key, and console
steps with a "screendump" key); `make pictures` writes docs/img/ with it.
"""
import json
import os
import re
import socket
import struct
import time
import zlib

REQUEST_RE = re.compile(r"^@@screendump (\S+)((?: \d+,\d+=[0-9a-fA-F]{6}(?::\S+)?)*)\s*$")
POINT_RE = re.compile(r"(\d+),(\d+)=([0-9a-fA-F]{6})(?::(\S+))?")
QMP_TIMEOUT = 30  # seconds for one QMP exchange (a screendump under a loaded host)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_PALETTE_MAX = 256


def parse_request(line):
    """(name, [(x, y, (r, g, b), label), ...]) for a request line, else None."""
    m = REQUEST_RE.match(line)
    if not m:
        return None
    points = []
    for x, y, rgb, label in POINT_RE.findall(m.group(2)):
        v = int(rgb, 16)
        points.append((int(x), int(y), (v >> 16, (v >> 8) & 0xFF, v & 0xFF), label or ""))
    return m.group(1), points


class Qmp:
    """A minimal QMP client: connect to QEMU's -qmp unix socket, leave
    capability negotiation, run commands one at a time."""

    def __init__(self, path, wait=QMP_TIMEOUT):
        deadline = time.monotonic() + wait
        while True:  # QEMU makes the socket a moment after it starts
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(QMP_TIMEOUT)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self._reply()  # the greeting
        self.command("qmp_capabilities")

    def _message(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def _reply(self):
        """The next message that is not an asynchronous event."""
        while True:
            msg = self._message()
            if "event" not in msg:
                return msg

    def command(self, name, **arguments):
        """Run one command; its "return" value, or RuntimeError with QEMU's error."""
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        reply = self._reply()
        if "error" in reply:
            raise RuntimeError("QMP %s: %s" % (name, reply["error"].get("desc", reply["error"])))
        return reply.get("return")

    def close(self):
        self.sock.close()


def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM (P6, maxval 255) as QEMU writes it."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' starts a comment
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace after maxval
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError("%s: not a P6 PPM with maxval 255" % path)
    w, h = int(fields[1]), int(fields[2])
    rgb = data[pos:pos + w * h * 3]
    if len(rgb) != w * h * 3:
        raise ValueError("%s: %d bytes of pixels, want %d" % (path, len(rgb), w * h * 3))
    return w, h, rgb


def pixel(image, x, y):
    """(r, g, b) at x, y of an image from read_ppm."""
    w, _, rgb = image
    i = (y * w + x) * 3
    return rgb[i], rgb[i + 1], rgb[i + 2]


def _png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def write_png(path, image):
    """Write an image from read_ppm as PNG: indexed (a palette, one byte a
    pixel) when it has at most 256 colours, as memview's pictures do; RGB
    otherwise. Filter type 0 on every row; zlib does the rest."""
    w, h, rgb = image
    colours = {}
    for i in range(0, len(rgb), 3):
        c = rgb[i:i + 3]
        if c not in colours:
            colours[c] = len(colours)
            if len(colours) > PNG_PALETTE_MAX:
                break
    if len(colours) <= PNG_PALETTE_MAX:
        index = bytes(colours[rgb[i:i + 3]] for i in range(0, len(rgb), 3))
        rows = b"".join(b"\0" + index[y * w:(y + 1) * w] for y in range(h))
        header = struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)  # 8-bit indexed
        extra = _png_chunk(b"PLTE", b"".join(colours))
    else:
        rows = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))
        header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
        extra = b""
    with open(path, "wb") as f:
        f.write(PNG_SIGNATURE + _png_chunk(b"IHDR", header) + extra +
                _png_chunk(b"IDAT", zlib.compress(rows, 9)) + _png_chunk(b"IEND", b""))


def check_pixels(image, points):
    """One line per pixel that differs: where, what it stands for, the
    colour expected and the colour seen. Empty if all match."""
    w, h, _ = image
    bad = []
    for x, y, want, label in points:
        what = " (%s)" % label if label else ""
        if not (0 <= x < w and 0 <= y < h):
            bad.append("pixel %d,%d%s is outside the %dx%d picture" % (x, y, what, w, h))
            continue
        seen = pixel(image, x, y)
        if seen != want:
            bad.append("pixel %d,%d%s: expected #%02x%02x%02x, seen #%02x%02x%02x" % ((x, y, what) + want + seen))
    return bad


def take(qmp, ppm_path, png_path=None):
    """Screendump to ppm_path (and a PNG copy); returns the image."""
    if os.path.exists(ppm_path):
        os.remove(ppm_path)
    qmp.command("screendump", filename=os.path.abspath(ppm_path))
    image = read_ppm(ppm_path)
    if png_path:
        write_png(png_path, image)
    return image


class Agent:
    """Answers the guest's screendump requests for one boot.

    handle(line, send) is given every console line; for a request it takes
    the picture, checks it, records the result and calls send(answer).
    results: [(item name, passed, reason)] in the order asked."""

    def __init__(self, boot_name, qmp_path, logdir):
        self.boot_name, self.qmp_path, self.logdir = boot_name, qmp_path, logdir
        self.qmp = None
        self.results = []
        self.asked = []

    def _connect(self):
        if self.qmp is None:
            self.qmp = Qmp(self.qmp_path)
        return self.qmp

    def handle(self, line, send):
        req = parse_request(line)
        if req is None:
            return
        name, points = req
        self.asked.append(name)
        item = "%s/screendump-%s" % (self.boot_name, name)
        base = os.path.join(self.logdir, "%s-%s" % (self.boot_name, name))
        try:
            image = take(self._connect(), base + ".ppm", base + ".png")
            bad = check_pixels(image, points)
        except (OSError, ValueError, RuntimeError, ConnectionError) as e:
            bad = ["no screendump: %s" % e]
        reason = "; ".join(bad) + ("" if not bad else " [picture: %s.png]" % base)
        self.results.append((item, not bad, reason))
        send("@@screendump-done %s %s\n" % (name, "bad" if bad else "ok"))

    def items(self, expected):
        """The results, plus a failure for each expected picture never asked for."""
        missing = [(("%s/screendump-%s" % (self.boot_name, n)), False,
                    "the guest never asked for screendump %s" % n)
                   for n in expected if n not in self.asked]
        return self.results + missing

    def close(self):
        if self.qmp:
            self.qmp.close()
