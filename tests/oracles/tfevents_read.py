#!/usr/bin/env python3
"""Independent reader of TensorBoard event files, for the tests (no tensorflow needed).

Parses the TFRecord framing, checks both masked CRC32C of every record with a bitwise CRC
written here (not a table, so it shares nothing with the C writer's code), and decodes the
Event / Summary / Summary.Value protobuf messages by hand from the wire format.
Prints one JSON object: {"file_version": str, "events": [{"step", "wall_time", "values": {tag: v}}]}.
Exits 1 with a message naming the byte offset on any framing, CRC or decoding error.
usage: tfevents_read.py FILE
"""
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, i):
    shift = v = 0
    while True:
        if i >= len(buf):
            raise ValueError("varint runs past the end")
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """Yields (field number, wire type, value) of one message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 1:
            v = buf[i:i + 8]
            i += 8
        elif wire == 5:
            v = buf[i:i + 4]
            i += 4
        elif wire == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]
            i += n
        else:
            raise ValueError("unknown wire type %d" % wire)
        if i > len(buf):
            raise ValueError("field %d runs past the end" % field)
        yield field, wire, v


def decode_event(data):
    ev = {"step": 0, "wall_time": None, "values": {}}
    for f, w, v in fields(data):
        if f == 1 and w == 1:
            ev["wall_time"] = struct.unpack("<d", v)[0]
        elif f == 2 and w == 0:
            ev["step"] = v - (1 << 64) if v >= 1 << 63 else v
        elif f == 3 and w == 2:
            ev["file_version"] = v.decode("utf-8")
        elif f == 5 and w == 2:
            for sf, sw, sv in fields(v):
                if sf != 1 or sw != 2:
                    continue
                tag, val = None, None
                for vf, vw, vv in fields(sv):
                    if vf == 1 and vw == 2:
                        tag = vv.decode("utf-8")
                    elif vf == 2 and vw == 5:
                        val = struct.unpack("<f", vv)[0]
                if tag is None or val is None:
                    raise ValueError("Summary.Value without tag or simple_value")
                ev["values"][tag] = val
    return ev


def main():
    data = open(sys.argv[1], "rb").read()
    i, out = 0, {"file_version": None, "events": []}
    while i < len(data):
        if i + 12 > len(data):
            sys.exit("offset %d: truncated record header" % i)
        head = data[i:i + 8]
        (n,) = struct.unpack("<Q", head)
        (hcrc,) = struct.unpack("<I", data[i + 8:i + 12])
        if hcrc != masked(head):
            sys.exit("offset %d: length CRC mismatch" % i)
        body = data[i + 12:i + 12 + n]
        if len(body) != n or i + 16 + n > len(data):
            sys.exit("offset %d: truncated record" % i)
        (dcrc,) = struct.unpack("<I", data[i + 12 + n:i + 16 + n])
        if dcrc != masked(body):
            sys.exit("offset %d: data CRC mismatch" % i)
        try:
            ev = decode_event(body)
        except ValueError as e:
            sys.exit("offset %d: %s" % (i, e))
        if "file_version" in ev:
            if out["events"] or out["file_version"]:
                sys.exit("offset %d: file_version not in the first record" % i)
            out["file_version"] = ev["file_version"]
        else:
            out["events"].append(ev)
        i += 16 + n
    if out["file_version"] is None:
        sys.exit("no file_version record")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
