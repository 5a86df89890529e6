#!/usr/bin/python3
"""Differential selector check: forage against soupsieve on the shared corpus.

    /usr/bin/python3 bench/selector_agreement.py [--per-page N] [--seed S] [--out FILE]

Needs the Debian packages python3-bs4, python3-soupsieve (2.3.2 in bookworm)
and python3-html5lib, and build/bench/selector_agreement. Not part of the test
suite: the corpus pages belong to their sites and soupsieve is not a build
dependency.

For every page of ../shared/corpus/pages it builds the element tree with
BeautifulSoup + html5lib and with forage (bench/selector_agreement.cc), checks
that both trees have the same elements in the same order, generates N
selectors from the page's own tags, classes, ids, attributes and text
(compounds, every combinator, attribute operators and flags, An+B forms,
:not, :is, :where, :has, :-soup-contains), and compares the elements each
selector matches, in order. Prints the agreement and writes every
disagreement to --out.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import warnings

import bs4
import html5lib
import soupsieve
from soupsieve import css_match

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "pages")
TOOL = os.path.join(ROOT, "build", "bench", "selector_agreement")

NTH = ["odd", "even", "1", "2", "3", "2n+1", "2n", "-n+3", "3n-1", "n", "0n+2", "-2n+5",
       "n+4", "4n+0", "-n+1"]
STRUCTURAL = [":first-child", ":last-child", ":only-child", ":first-of-type",
              ":last-of-type", ":only-of-type", ":empty", ":root"]
NTH_PSEUDO = [":nth-child", ":nth-last-child", ":nth-of-type", ":nth-last-of-type"]


def ident(s):
    """A CSS identifier for s, escaped as CSS Syntax 3 says."""
    out = []
    for i, ch in enumerate(s):
        o = ord(ch)
        if o == 0:
            out.append("\ufffd")
        elif (0x1 <= o <= 0x1f) or o == 0x7f or (i == 0 and ch.isdigit()) or \
                (i == 1 and ch.isdigit() and s[0] == "-"):
            out.append("\\%x " % o)
        elif i == 0 and ch == "-" and len(s) == 1:
            out.append("\\-")
        elif o >= 0x80 or ch in "-_" or ch.isalnum():
            out.append(ch)
        else:
            out.append("\\" + ch)
    return "".join(out)


def string(s):
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\a ")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append("\\%x " % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def attr_value(el, name):
    v = el.attrs.get(name)
    if isinstance(v, list):  # bs4 splits class (and rel...) into words
        v = " ".join(v)
    return v if isinstance(v, str) else ""


class Generator:
    def __init__(self, rng, elements):
        self.rng = rng
        self.elements = elements

    def pick(self):
        return self.rng.choice(self.elements)

    def simple_parts(self, el):
        """Simple selectors that match el."""
        r = self.rng
        parts = []
        classes = el.get("class") or []
        if classes:
            parts.append("." + ident(r.choice(classes)))
        if el.get("id"):
            parts.append("#" + ident(attr_value(el, "id")))
        names = [n for n in el.attrs if re.fullmatch(r"[A-Za-z_][-A-Za-z0-9_:.]*", n)]
        if names:
            name = r.choice(names)
            value = attr_value(el, name)
            op = r.choice(["", "=", "~=", "|=", "^=", "$=", "*="])
            flag = r.choice(["", "", "", " i", " s"])
            if op == "":
                parts.append("[%s]" % ident(name))
            else:
                if op == "~=":
                    words = value.split()
                    v = r.choice(words) if words else value
                elif op == "|=":
                    v = value.split("-")[0]
                elif op == "^=":
                    v = value[: r.randint(0, max(1, len(value)))]
                elif op == "$=":
                    v = value[len(value) - r.randint(0, max(1, len(value))):]
                elif op == "*=":
                    a = r.randint(0, len(value))
                    v = value[a:a + r.randint(0, 6)]
                else:
                    v = value
                if flag == " i" and r.random() < 0.5:
                    v = v.swapcase()
                parts.append("[%s%s%s%s]" % (ident(name), op, string(v), flag))
        return parts

    def pseudo(self, el, depth):
        r = self.rng
        kind = r.randint(0, 9)
        if kind <= 2:
            return r.choice(STRUCTURAL)
        if kind <= 5:
            return "%s(%s)" % (r.choice(NTH_PSEUDO), r.choice(NTH))
        other = self.compound(self.pick(), depth + 1)
        if kind == 6:
            return ":not(%s)" % other
        if kind == 7:
            return ":%s(%s, %s)" % (r.choice(["is", "where"]), other,
                                    self.compound(self.pick(), depth + 1))
        if kind == 8:
            child = el.find(True)
            inner = self.compound(child, depth + 1) if child is not None and r.random() < 0.7 \
                else other
            return ":has(%s%s)" % (r.choice(["", "> ", "+ ", "~ "]), inner)
        words = re.findall(r"\w{3,}", el.get_text()[:400])
        return ':-soup-contains(%s)' % string(r.choice(words) if words else "a")

    def compound(self, el, depth=0):
        r = self.rng
        tag = el.name if r.random() < 0.6 else ""
        parts = self.simple_parts(el)
        chosen = r.sample(parts, k=min(len(parts), r.randint(0, 2)))
        if depth < 2 and r.random() < 0.45:
            chosen.append(self.pseudo(el, depth))
        s = tag + "".join(chosen)
        return s if s else (el.name if r.random() < 0.7 else "*")

    def complex(self):
        r = self.rng
        el = self.pick()
        sel = self.compound(el)
        for _ in range(r.randint(0, 2)):
            comb = r.choice([" ", " > ", " + ", " ~ "])
            if comb in (" ", " > "):
                other = el.parent if el.parent is not None and el.parent.name != "[document]" \
                    else None
                if comb == " " and other is not None and other.parent is not None and \
                        other.parent.name != "[document]" and r.random() < 0.5:
                    other = other.parent
            else:
                other = el.find_previous_sibling(True)
            if other is None:
                break
            sel = self.compound(other) + comb + sel
            el = other
        return sel

    def selector(self):
        if self.rng.random() < 0.1:
            return self.complex() + ", " + self.complex()
        return self.complex()


def browser_nth(self, el, nth):
    """soupsieve's match_nth as browsers count: position among the parent's
    element children (of the same type, for -of-type), An+B with n >= 0.
    soupsieve 2.3.2 miscounts parents with a single (typed) child."""
    for n in nth:
        if n.selectors and not self.match_selectors(el, n.selectors):
            return False
        parent = self.get_parent(el)
        if parent is None:
            parent = self.create_fake_parent(el)
        sibs = [c for c in self.get_children(parent, tags=True)]
        if n.selectors:
            sibs = [c for c in sibs if self.match_selectors(c, n.selectors)]
        if n.of_type:
            sibs = [c for c in sibs if self.match_nth_tag_type(el, c)]
        if n.last:
            sibs.reverse()
        pos = next(i for i, c in enumerate(sibs) if c is el) + 1
        a, b = (n.a, n.b) if n.n else (0, n.a)
        if a == 0:
            if pos != b:
                return False
        elif (pos - b) % a != 0 or (pos - b) // a < 0:
            return False
    return True


REASONS = {
    "has-in-has": "forage refuses :has() inside :has() (Selectors 4); soupsieve accepts it",
    "empty-operand": 'soupsieve matches [a^=""], [a$=""], [a*=""]; browsers and forage match '
                     "nothing",
    "template-content": "soupsieve selects inside <template>; browsers and forage do not (the "
                        "content is a separate fragment)",
    "document-ancestor": "soupsieve takes the document for an ancestor element (html matches "
                         "'* *')",
    "empty-whitespace": "soupsieve's :empty ignores whitespace text; browsers and forage do not",
    "nth-single-child": "soupsieve 2.3.2 miscounts An+B under a parent with a single child "
                        "(agrees once its match_nth counts as browsers do)",
    "class-rejoined": "BeautifulSoup re-joins class words with single spaces; forage compares "
                      "the raw value",
    "unexplained": "none of the known differences",
}


def only_blank(el):
    return all(isinstance(c, bs4.Comment) or
               (isinstance(c, bs4.NavigableString) and not c.strip(" \t\n\r\f"))
               for c in el.contents)


def classify(sel, ours, theirs, ours_err, soup, elements, number, raw_classes):
    if ours_err and "nested inside ':has()'" in ours_err:
        return "has-in-has"
    if re.search(r'[\^$*]=""', sel):
        return "empty-operand"
    diff = set(ours or []) ^ set(theirs or [])
    if any(elements[i].find_parent("template") is not None or elements[i].name == "template"
           for i in diff):
        return "template-content"
    if diff == {0} and 0 in (theirs or []):
        return "document-ancestor"
    if ":empty" in sel and all(only_blank(elements[i]) for i in diff):
        return "empty-whitespace"
    if re.search(r":(nth|first|last|only)-", sel) and ours is not None:
        saved = css_match.CSSMatch.match_nth
        css_match.CSSMatch.match_nth = browser_nth
        try:
            soupsieve.purge()
            fixed = [number[id(e)] for e in soupsieve.select(sel, soup)]
        except Exception:  # noqa: BLE001
            fixed = None
        finally:
            css_match.CSSMatch.match_nth = saved
            soupsieve.purge()
        if fixed == ours:
            return "nth-single-child"
    if raw_classes is not None and "[class" in sel:
        # The element, or one a combinator reaches from it, has a class
        # attribute whose raw value is not its words joined by single spaces.
        related = set()
        for i in diff:
            el = elements[i]
            for near in [el, *el.parents, *el.find_all(True)]:
                if near.parent is not None:
                    related.update(number.get(id(c)) for c in near.parent.find_all(True,
                                                                                 recursive=False))
                related.add(number.get(id(near)))
        if any(i is not None and raw_classes[i] is not None and
               raw_classes[i] != " ".join(raw_classes[i].split()) for i in related):
            return "class-rejoined"
    return "unexplained"


def check_page(path, per_page, rng, disagreements):
    raw = open(path, "rb").read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = bs4.BeautifulSoup(raw, "html5lib")
    elements = soup.find_all(True)
    number = {id(e): i for i, e in enumerate(elements)}
    # The raw class attributes, before BeautifulSoup splits them into words.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = html5lib.parse(raw, treebuilder="etree", namespaceHTMLElements=False)
    raw_classes = [e.get("class") for e in tree.iter() if isinstance(e.tag, str)]
    if len(raw_classes) != len(elements):
        raw_classes = None
    gen = Generator(rng, [e for e in elements if e.name not in ("html",)] or elements)
    selectors = []
    while len(selectors) < per_page:
        s = gen.selector()
        if "\n" not in s and "\r" not in s:
            selectors.append(s)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(selectors) + "\n")
        sel_path = f.name
    try:
        out = subprocess.run([TOOL, path, sel_path], capture_output=True, check=True).stdout
    finally:
        os.unlink(sel_path)
    lines = out.decode("utf-8", "replace").split("\n")
    forage_tags = lines[0].split()[1:]
    soup_tags = [e.name for e in elements]
    # forage's tool lowercases the tags Gumbo does not know (clipPath).
    same_tree = [t.lower() for t in forage_tags] == [t.lower() for t in soup_tags]
    stats = {"selectors": 0, "agree": 0, "matching": 0, "errors": 0, "same_tree": same_tree,
             "reasons": {}}
    for sel, line in zip(selectors, lines[1:]):
        try:
            theirs = [number[id(e)] for e in soupsieve.select(sel, soup)]
            theirs_err = None
        except Exception as e:  # noqa: BLE001 - soupsieve raises several kinds
            theirs, theirs_err = None, "%s: %s" % (type(e).__name__, str(e).split("\n")[0])
        if line.startswith("error"):
            ours, ours_err = None, line[6:]
        else:
            ours, ours_err = [int(x) for x in line.split()[1:]], None
        stats["selectors"] += 1
        if ours and len(ours) > 0:
            stats["matching"] += 1
        if ours_err or theirs_err:
            stats["errors"] += 1
        if ours == theirs and (ours_err is None) == (theirs_err is None):
            stats["agree"] += 1
        else:
            reason = classify(sel, ours, theirs, ours_err, soup, elements, number, raw_classes)
            stats["reasons"][reason] = stats["reasons"].get(reason, 0) + 1
            only_ours = sorted(set(ours or []) - set(theirs or []))
            only_theirs = sorted(set(theirs or []) - set(ours or []))
            disagreements.append("%s\t%s\t%s\tforage=%s\tsoupsieve=%s\tonly_forage=%s\tonly_soupsieve=%s"
                                 % (reason, os.path.relpath(path, CORPUS), sel,
                                    ours_err or len(ours), theirs_err or len(theirs),
                                    " ".join("%s#%d" % (soup_tags[i], i) for i in only_ours[:5]),
                                    " ".join("%s#%d" % (soup_tags[i], i) for i in only_theirs[:5])))
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-page", type=int, default=150)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--out", default="selector_disagreements.tsv")
    args = ap.parse_args()
    if not os.access(TOOL, os.X_OK):
        sys.exit("build build/bench/selector_agreement first (cmake --build build --target "
                 "selector_agreement)")
    pages = sorted(os.path.join(d, f) for d, _, fs in os.walk(CORPUS) for f in fs
                   if f.endswith((".html", ".htm")))
    total = {"selectors": 0, "agree": 0, "matching": 0, "errors": 0}
    disagreements, other_trees, reasons, unexplained_pages = [], [], {}, {}
    for i, path in enumerate(pages):
        stats = check_page(path, args.per_page, random.Random(args.seed + i), disagreements)
        for k in total:
            total[k] += stats[k]
        for r, k in stats["reasons"].items():
            reasons[r] = reasons.get(r, 0) + k
            if r == "unexplained":
                unexplained_pages[os.path.relpath(path, CORPUS)] = k
        if not stats["same_tree"]:
            other_trees.append(os.path.relpath(path, CORPUS))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(disagreements) + ("\n" if disagreements else ""))
    n = total["selectors"]
    print("soupsieve %s, %d pages (%d with a different element tree: %s)"
          % (soupsieve.__version__, len(pages), len(other_trees), ", ".join(other_trees) or "none"))
    print("%d selectors, %.0f%% matching at least one element, %d errors on either side"
          % (n, 100.0 * total["matching"] / max(1, n), total["errors"]))
    print("agreement: %d of %d (%.1f%%); disagreements in %s"
          % (total["agree"], n, 100.0 * total["agree"] / max(1, n), args.out))
    for r in REASONS:
        if r in reasons:
            print("  %5d  %-18s %s" % (reasons[r], r, REASONS[r]))
    known = n - reasons.get("unexplained", 0)
    print("agreement once the known soupsieve differences are set aside: %d of %d (%.2f%%)"
          % (known, n, 100.0 * known / max(1, n)))
    if unexplained_pages:
        print("unexplained, by page: " + ", ".join(
            "%s %d" % kv for kv in sorted(unexplained_pages.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
