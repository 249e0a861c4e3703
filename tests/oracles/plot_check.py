#!/usr/bin/env python3
"""Reads a cmimic plot (PNG or SVG) with python's own modules and checks it for the tests.

usage: plot_check.py FILE --series N [--faint N] [--size WxH]
PNG (zlib + struct: chunk CRCs, IHDR, IDAT inflated and unfiltered): 8-bit RGB or RGBA, the size
asked, white corners, each of the first N tab10 colours drawn (at least 40 pixels of exactly that
colour), an (N+1)th colour absent, and antialiasing (pixels blended between a series colour and
white). SVG (xml.etree): parses, the size asked, exactly N stroked paths in the N series colours at
full opacity (one per series) and --faint N more at partial opacity (raw curves under smoothed
ones), each series path with at least two points.
Prints one JSON line with what it measured.
"""
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

TAB10 = [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c), (0xd6, 0x27, 0x28), (0x94, 0x67, 0xbd),
         (0x8c, 0x56, 0x4b), (0xe3, 0x77, 0xc2), (0x7f, 0x7f, 0x7f), (0xbc, 0xbd, 0x22), (0x17, 0xbe, 0xcf)]


def fail(msg):
    print("plot_check: " + msg, file=sys.stderr)
    sys.exit(1)


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG signature")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) != crc:
            fail(f"{path}: bad CRC in chunk {kind!r}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    if ihdr is None:
        fail(f"{path}: no IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail(f"{path}: expected 8-bit RGB(A) without interlace, got depth {depth} type {ctype}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        fail(f"{path}: {len(raw)} bytes of image data for {w}x{h}")
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            elif f != 0:
                fail(f"{path}: unknown filter {f} on row {y}")
        rows.append(bytes(line))
        prev = line
    return w, h, [[tuple(r[x * bpp:x * bpp + 3]) for x in range(w)] for r in rows]


def check_png(path, n, size):
    w, h, px = read_png(path)
    if size and (w, h) != size:
        fail(f"{path}: {w}x{h}, expected {size[0]}x{size[1]}")
    white = (255, 255, 255)
    if not all(px[y][x] == white for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1))):
        fail(f"{path}: corners are not white")
    counts = {}
    for row in px:
        for p in row:
            counts[p] = counts.get(p, 0) + 1
    drawn = [counts.get(c, 0) for c in TAB10[:n + 1]]
    if any(d < 40 for d in drawn[:n]):
        fail(f"{path}: series colours drawn {drawn[:n]} pixels (need >= 40 each)")
    if n < 10 and drawn[n] > 0:
        fail(f"{path}: colour {n} (one series too many) drawn on {drawn[n]} pixels")
    blends = 0
    for p, k in counts.items():
        for c in TAB10[:n]:
            t = (255 - p[0]) / (255 - c[0]) if c[0] != 255 else (255 - p[2]) / (255 - c[2])
            if 0.15 < t < 0.85 and all(abs(255 - t * (255 - c[i]) - p[i]) < 4 for i in range(3)):
                blends += k
                break
    if blends < 50:
        fail(f"{path}: only {blends} antialiased pixels")
    return {"format": "png", "size": [w, h], "series_pixels": drawn[:n], "blended_pixels": blends}


def css_rgb(style):
    m = re.search(r"stroke:rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)", style)
    return tuple(round(float(v) * 2.55) for v in m.groups()) if m else None


def check_svg(path, n, faint, size):
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    if root.tag != ns + "svg":
        fail(f"{path}: root is {root.tag}")
    w, h = (int(float(root.get(k).rstrip("px"))) for k in ("width", "height"))
    if size and (w, h) != size:
        fail(f"{path}: {w}x{h}, expected {size[0]}x{size[1]}")
    solid, light, points = [0] * 10, [0] * 10, []
    for el in root.iter(ns + "path"):
        style = el.get("style", "")
        rgb = css_rgb(style)
        if rgb not in TAB10:
            continue
        k = TAB10.index(rgb)
        op = re.search(r"stroke-opacity:([\d.]+)", style)
        if op and float(op.group(1)) < 1:
            light[k] += 1
        else:
            solid[k] += 1
            points.append(len(re.findall(r"[ML]", el.get("d", ""))))
    if solid[:n] != [1] * n or any(solid[n:]):
        fail(f"{path}: solid series paths per colour {solid}, expected one for each of {n}")
    if light[:n] != [1 if faint else 0] * n or any(light[n:]) or sum(light) != faint:
        fail(f"{path}: faint paths per colour {light}, expected {faint}")
    if min(points) < 2:
        fail(f"{path}: a series path with {min(points)} points")
    return {"format": "svg", "size": [w, h], "series_paths": n, "faint_paths": faint, "path_points": points}


def main():
    args = sys.argv[1:]
    if not args:
        fail(__doc__)
    path, n, faint, size = args[0], None, 0, None
    i = 1
    while i < len(args):
        if args[i] == "--series":
            n = int(args[i + 1])
        elif args[i] == "--faint":
            faint = int(args[i + 1])
        elif args[i] == "--size":
            size = tuple(int(v) for v in args[i + 1].split("x"))
        else:
            fail(f"unknown argument {args[i]}")
        i += 2
    if n is None:
        fail("--series N is required")
    out = check_svg(path, n, faint, size) if path.endswith(".svg") else check_png(path, n, size)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
