#!/usr/bin/env python3
"""Opens a cmimic report page in Debian's headless Chromium and checks what the browser rendered.

usage: browser_check.py PAGE.html --rows N [--min-images K] [--fits W] [--screenshot OUT.png] [--work DIR]
A probe page (written into DIR) loads PAGE into a frame (file:// pages may read each other with
--allow-file-access-from-files), waits for every image to load or fail, and writes what it found
into its own DOM, which --dump-dom prints: the number of <tr class="case"> rows (must be N) and each
image's naturalWidth (every one > 0: decoded; at least K images), and the page's scrollWidth in a
1280x900 frame (--fits W: at most W, no sideways scrolling). --screenshot also saves a
1280x900 screenshot of PAGE (a PNG) to look at.
Exit 0: checked (one JSON line printed); 1: a check failed; 3: no Chromium installed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import html

PROBE = """<!DOCTYPE html><html><body><pre id="found">not loaded</pre><iframe id="page" src="%s" style="width:1280px;height:900px;border:0"></iframe>
<script>
const frame = document.getElementById("page");
frame.onload = () => {
  const d = frame.contentDocument, imgs = Array.from(d.images);
  Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }))).then(() => {
    document.getElementById("found").textContent = JSON.stringify({rows: d.querySelectorAll("tr.case").length,
      images: imgs.map(i => [i.getAttribute("src"), i.naturalWidth]), width: d.documentElement.scrollWidth});
  });
};
</script></body></html>
"""


def fail(msg):
    print("browser_check: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if not args:
        fail(__doc__)
    page, rows, min_images, shot, work, fits = os.path.abspath(args[0]), None, 1, None, None, None
    i = 1
    while i < len(args):
        if args[i] == "--rows":
            rows = int(args[i + 1])
        elif args[i] == "--min-images":
            min_images = int(args[i + 1])
        elif args[i] == "--screenshot":
            shot = os.path.abspath(args[i + 1])
        elif args[i] == "--fits":
            fits = int(args[i + 1])
        elif args[i] == "--work":
            work = args[i + 1]
        else:
            fail(f"unknown argument {args[i]}")
        i += 2
    if rows is None:
        fail("--rows N is required")
    browser = next((b for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
    if not browser:
        print("browser_check: headless Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        sys.exit(3)
    work = work or tempfile.mkdtemp(prefix="browser_check_")
    os.makedirs(work, exist_ok=True)
    probe = os.path.join(work, "probe.html")
    with open(probe, "w") as f:
        f.write(PROBE % ("file://" + page))
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
            "--user-data-dir=" + os.path.join(work, "profile")]
    with open(os.path.join(work, "chromium.err"), "ab") as err:
        dom = subprocess.run(base + ["--virtual-time-budget=10000", "--dump-dom", "file://" + probe],
                             stdout=subprocess.PIPE, stderr=err, timeout=180).stdout.decode()
        m = re.search(r'<pre id="found">([^<]*)</pre>', dom)
        if not m:
            fail(f"{page}: the probe page did not render")
        if m.group(1) == "not loaded":
            fail(f"{page}: the page did not load in the frame")
        found = json.loads(html.unescape(m.group(1)))
        if found["rows"] != rows:
            fail(f"{page}: {found['rows']} case rows rendered, expected {rows}")
        if len(found["images"]) < min_images or any(w <= 0 for _, w in found["images"]):
            fail(f"{page}: images not all decoded (need >= {min_images}): {found['images']}")
        if fits is not None and found["width"] > fits:
            fail(f"{page}: {found['width']} pixels wide in a 1280-pixel window, more than {fits}")
        if shot:
            subprocess.run(base + ["--window-size=1280,900", "--screenshot=" + shot, "file://" + page],
                           stdout=subprocess.DEVNULL, stderr=err, timeout=180)
            with open(shot, "rb") as f:
                if f.read(8) != b"\x89PNG\r\n\x1a\n":
                    fail(f"{shot}: no PNG screenshot")
            found["screenshot"] = shot
    print(json.dumps(found))


if __name__ == "__main__":
    main()
