#!/usr/bin/env python3
"""Reads a cmimic report page with python's html.parser and checks it for the tests.

usage: report_check.py INDEX.html [--live yes|no] [--case NAME=STATUS ...] [--images N]
Checks: the page parses; every <img src> is a PNG and every <a href> an existing file (relative to the
page, or file://); no src/href leaves the machine (http:, https:, //); meta refresh present iff
--live yes; each --case has exactly one row with that status; at least N images.
Prints one JSON line: {"rows": {case: status}, "cells": {case: [cell texts]}, "images": [...], "links": [...],
"refresh": bool}.
"""
import json
import os
import sys
import urllib.parse
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.images, self.links, self.refresh, self.cells = [], [], [], False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.refresh = True
        if tag == "tr" and a.get("class") == "case":
            self.rows.append([a.get("data-case"), a.get("data-status"), []])
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag in ("a", "video") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src"))
        if tag == "td" and self.rows:
            self.cells = []

    def handle_data(self, data):
        if self.cells is not None:
            self.cells.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self.cells is not None and self.rows:
            self.rows[-1][2].append("".join(self.cells).strip())
            self.cells = None


def target(base, url):
    if url.startswith(("http:", "https:", "//")):
        sys.exit("fetches from the network: " + url)
    path = urllib.parse.unquote(url[7:] if url.startswith("file://") else url)
    return path if os.path.isabs(path) else os.path.join(base, path)


def main():
    page_path, args = sys.argv[1], sys.argv[2:]
    p = Page()
    p.feed(open(page_path, encoding="utf-8").read())
    p.close()
    base = os.path.dirname(os.path.abspath(page_path))
    for url in p.images + p.links:
        if not os.path.exists(target(base, url)):
            sys.exit("broken link: %s" % url)
    for url in p.images:  # an image loads: a PNG with a non-empty IHDR
        head = open(target(base, url), "rb").read(24)
        w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR" or not (w and h):
            sys.exit("not a loadable PNG: %s" % url)
    rows, texts = {}, {}
    for name, status, cells in p.rows:
        if name in rows:
            sys.exit("case %s has two rows" % name)
        if len(cells) != 11 or cells[0] != name or cells[1] != status:
            sys.exit("row of %s: %s" % (name, cells))
        rows[name] = status
        texts[name] = cells
    i = 0
    while i < len(args):
        k, v = args[i], args[i + 1]
        i += 2
        if k == "--live" and p.refresh != (v == "yes"):
            sys.exit("meta refresh %s, expected live %s" % (p.refresh, v))
        if k == "--case":
            name, status = v.split("=")
            if rows.get(name) != status:
                sys.exit("case %s: %s, expected %s (rows %s)" % (name, rows.get(name), status, rows))
        if k == "--images" and len(p.images) < int(v):
            sys.exit("%d images, expected at least %s" % (len(p.images), v))
    print(json.dumps({"rows": rows, "cells": texts, "images": p.images, "links": p.links, "refresh": p.refresh}))


if __name__ == "__main__":
    main()
