#!/usr/bin/env python3
"""Reads an X window dump (xwd, ZPixmap, 24/32 bits per pixel) with struct and checks or compares it.

usage: xwd_check.py SHOT.xwd [--png OUT.png] [--crop WxH] [--not-blank] [--same OTHER.xwd | --differs OTHER.xwd [--min N]]
--crop WxH looks at the top-left W x H pixels only (where the window is).
--not-blank: more than 16 distinct colours and no single colour covering over 90 % of the pixels,
  a sky/floor split (rows differ top to bottom) and some saturated pixels (the characters).
--same / --differs: the (cropped) pixels are identical to / differ on > 0.2 % of the pixels (or on at
  least --min N pixels) from OTHER's.
--png writes the (cropped) picture as a PNG (zlib, no filter) to look at.
Prints one JSON line with what it measured.
"""
import json
import struct
import sys
import zlib


def fail(msg):
    print("xwd_check: " + msg, file=sys.stderr)
    sys.exit(1)


def read_xwd(path, crop):
    data = open(path, "rb").read()
    if len(data) < 100:
        fail(f"{path}: too short for an xwd header")
    h = struct.unpack(">25I", data[:100])
    header_size, version, fmt, _, width, height = h[:6]
    byte_order, bpp, bpl = h[7], h[11], h[12]
    masks, ncolors = h[14:17], h[19]
    if version != 7 or fmt != 2 or bpp not in (24, 32):
        fail(f"{path}: xwd version {version}, format {fmt}, {bpp} bits per pixel: not a 24/32-bit ZPixmap")
    start = header_size + 12 * ncolors
    w, hh = (crop if crop else (width, height))
    w, hh = min(w, width), min(hh, height)
    shifts = [(m & -m).bit_length() - 1 for m in masks]
    step = bpp // 8
    rows = []
    for y in range(hh):
        line = data[start + y * bpl:start + y * bpl + w * step]
        if len(line) < w * step:
            fail(f"{path}: pixel data ends at row {y}")
        row = []
        for x in range(w):
            px = int.from_bytes(line[x * step:(x + 1) * step], "little" if byte_order == 0 else "big")
            row.append(tuple((px & m) >> s for m, s in zip(masks, shifts)))
        rows.append(row)
    return w, hh, rows


def write_png(path, w, h, rows):
    raw = b"".join(b"\0" + bytes(c for p in row for c in p) for row in rows)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)


def main():
    args = sys.argv[1:]
    if not args:
        fail(__doc__)
    path, opts, i = args[0], {}, 1
    while i < len(args):
        if args[i] == "--not-blank":
            opts["not_blank"] = True
            i += 1
        elif args[i] in ("--png", "--crop", "--same", "--differs", "--min"):
            opts[args[i][2:]] = args[i + 1]
            i += 2
        else:
            fail(f"unknown argument {args[i]}")
    crop = tuple(int(v) for v in opts["crop"].split("x")) if "crop" in opts else None
    w, h, rows = read_xwd(path, crop)
    out = {"size": [w, h]}
    counts = {}
    for row in rows:
        for p in row:
            counts[p] = counts.get(p, 0) + 1
    out["colours"] = len(counts)
    out["top_colour_share"] = round(max(counts.values()) / (w * h), 4)
    saturated = sum(k for p, k in counts.items() if max(p) - min(p) > 60)
    out["saturated_share"] = round(saturated / (w * h), 4)
    mean = lambda row: sum(sum(p) for p in row) / (3 * len(row))
    out["top_row_mean"], out["bottom_row_mean"] = round(mean(rows[h // 10]), 1), round(mean(rows[h - 1 - h // 10]), 1)
    if opts.get("not_blank"):
        if len(counts) <= 16 or out["top_colour_share"] > 0.9:
            fail(f"{path}: blank: {out}")
        if abs(out["top_row_mean"] - out["bottom_row_mean"]) < 5 or saturated < 20:
            fail(f"{path}: no scene (sky and floor alike, or no characters): {out}")
    for key in ("same", "differs"):
        if key in opts:
            ow, oh, other = read_xwd(opts[key], crop)
            if (ow, oh) != (w, h):
                fail(f"{path} is {w}x{h}, {opts[key]} {ow}x{oh}")
            diff = sum(1 for r1, r2 in zip(rows, other) for a, b in zip(r1, r2) if a != b)
            out[key + "_pixels_differing"] = diff
            if key == "same" and diff:
                fail(f"{path} and {opts[key]} differ on {diff} pixels")
            need = int(opts["min"]) if "min" in opts else 0.002 * w * h + 1
            if key == "differs" and diff < need:
                fail(f"{path} and {opts[key]} differ on only {diff} pixels")
    if "png" in opts:
        write_png(opts["png"], w, h, rows)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
