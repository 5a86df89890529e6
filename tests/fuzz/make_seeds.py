#!/usr/bin/env python3
"""Writes the fuzz targets' generated seed corpora (docs/fuzzing.md).

    make_seeds.py OUT_DIR [CORPUS_PAGES_DIR]

OUT_DIR/<target>/ gets one file per seed, named by its content's hash, made
from the project's own tests (selector strings, HTML snippets, URL pairs, job
files) and, for the decoder, from the shared corpus pages (the extraction
target reads those pages directly). Seeds are not committed: they follow the
tests as these change. The frame target writes its own seeds
(FORAGE_FUZZ_WRITE_SEEDS, see fuzz_frame.cc).
"""

import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE_CAP = 65536  # the -max_len of the page targets

# A C++ string literal, or a raw one with a delimiter.
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
RAW = re.compile(r'R"(\w*)\((.*?)\)\1"', re.S)


def unescape(s):
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "0": "\0"}
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in simple:
                out.append(simple[n]); i += 2; continue
            if n == "x":
                m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
                if m:
                    out.append(chr(int(m.group(0), 16))); i += 2 + len(m.group(0)); continue
            if n == "u":
                out.append(chr(int(s[i + 2:i + 6], 16))); i += 6; continue
        out.append(c); i += 1
    return "".join(out)


def to_bytes(s):
    # \xNN escapes stand for bytes; everything else is UTF-8.
    try:
        return s.encode("latin-1") if all(ord(c) < 256 for c in s) and any(
            0x80 <= ord(c) < 0x100 for c in s) else s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def literals(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    raws = [m.group(2) for m in RAW.finditer(text)]
    text = RAW.sub('""', text)
    return [unescape(m.group(1)) for m in LITERAL.finditer(text)], raws, text


class Out:
    def __init__(self, root, target):
        self.dir = pathlib.Path(root) / target
        self.dir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def add(self, data):
        if isinstance(data, str):
            data = to_bytes(data)
        data = data[:PAGE_CAP]
        name = hashlib.sha1(data).hexdigest()[:16]
        (self.dir / name).write_bytes(data)
        self.count += 1


def main():
    out_root = sys.argv[1]
    pages = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    tests = sorted((ROOT / "parser").glob("*_test.cc"))

    selector, extract, decode = Out(out_root, "selector"), Out(out_root, "extract"), Out(
        out_root, "decode")
    for t in tests:
        strings, raws, _ = literals(t)
        for s in strings:
            if s.startswith("<") or "<" in s[:3]:
                extract.add(s)
                decode.add("\n" + s)
            elif 0 < len(s) <= 200 and "\n" not in s:
                selector.add(s)
                selector.add(s.split("|")[0])  # a field's selector part
        for r in raws:
            extract.add(r)
            decode.add("\n" + r)

    url = Out(out_root, "url")
    strings, _, text = literals(ROOT / "parser" / "url_test.cc")
    base = "https://x.test/a/b/c?q=1#top"
    for m in re.finditer(r'Resolve\(\s*("(?:[^"\\\n]|\\.)*")(?:\s*,\s*("(?:[^"\\\n]|\\.)*"))?',
                         text):
        ref = unescape(m.group(1)[1:-1])
        b = unescape(m.group(2)[1:-1]) if m.group(2) else base
        url.add(b + "\n" + ref)
    for s in strings:
        if "://" in s or s.startswith("/"):
            url.add(base + "\n" + s)

    job = Out(out_root, "job_file")
    for f in sorted((ROOT / "examples").glob("*.toml")):
        job.add(f.read_bytes())
    _, raws, _ = literals(ROOT / "cmd" / "job_file_test.cc")
    for r in raws:
        job.add(r)
    strings, _, _ = literals(ROOT / "cmd" / "job_file_test.cc")
    for s in strings:
        if "=" in s:
            job.add(s)

    if pages and pages.is_dir():
        for f in sorted(p for p in pages.rglob("*") if p.is_file()):
            body = f.read_bytes()[:PAGE_CAP - 64]
            decode.add(b"\n" + body)
            decode.add(b"text/html; charset=windows-1252\n" + body[:4096])
    for ct in ["text/html", "text/html; charset=utf-8", 'text/html; charset="gbk"',
               "text/html;charset=Shift_JIS", "application/xhtml+xml; charset=utf-16le"]:
        decode.add(ct + "\n<meta charset=euc-jp><p>\u00e9</p>")

    for o in (selector, extract, decode, url, job):
        print(f"seeds: {o.dir}: {len(list(o.dir.iterdir()))} files")


if __name__ == "__main__":
    main()
