#!/usr/bin/python3
"""Differential selector check: forage against jsdom and soupsieve on the shared corpus.

    /usr/bin/python3 bench/selector_agreement.py [--per-page N] [--seed S] [--out FILE]
                                                 [--jsdom-out FILE] [--no-jsdom]

Needs the Debian packages python3-bs4, python3-soupsieve (2.3.2 in bookworm)
and python3-html5lib, build/bench/selector_agreement, and node with npm for
jsdom: bench/jsdom/package-lock.json pins jsdom 26.1.0 (whose
querySelectorAll is nwsapi 2.2.28), installed on first use with `npm ci` into
bench/jsdom/node_modules (ignored by git). Not part of the test suite: the
corpus pages belong to their sites, and neither soupsieve nor jsdom is a
build dependency.

jsdom is the browser-grade reference: nwsapi follows the Selectors spec as
browsers do where soupsieve 2.3.2 departs from it (see docs/selectors.md).
jsdom parses each page with its own HTML parser (parse5), given the encoding
html5lib chose; its element tree is checked against html5lib's as forage's
is. Selectors jsdom refuses (:-soup-contains is soupsieve's own) are counted
apart, not as disagreements.

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
JSDOM_DIR = os.path.join(ROOT, "bench", "jsdom")

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


JS_REASONS = {
    "has-in-has": "forage refuses :has() inside :has() as Selectors 4 4.5 says (and browsers "
                  "do); nwsapi accepts it",
    "s-flag": "nwsapi 2.2.28 does not know the [a=v s] flag (Selectors 4 6.3): inside "
              ":is()/:where()/:not() or beside them it drops or mismatches the argument "
              "instead of refusing the selector",
    "empty-operand": 'nwsapi matches [a^=""], [a$=""], [a*=""] on empty values; Selectors 4 '
                     "6.2: they represent nothing (forage, browsers)",
    "empty-dash": 'nwsapi\'s [a|=""] matches nothing; Selectors 4 6.1: it matches the value ""',
    "hex-escape": "nwsapi does not end a hex escape at its whitespace (#\\31 23 is id 123, "
                  "CSS Syntax 3 4.3.7)",
    "quote-in-string": "nwsapi matches nothing when a quoted value holds the other quote "
                       "(\"t('\")",
    "null-attribute": 'nwsapi tests a missing attribute as the string "null" ([a$="l"], '
                      '[a*="n"] match elements without a)',
    "unexamined": "none of the known differences",
}

ATTR = re.compile(r'\[([-\w]+)([~|^$*]?=)"((?:[^"\\]|\\.)*)"( [iIsS])?\]')


def null_attribute(sel):
    """Whether some [a op "v"] of sel matches the string "null"."""
    for _, op, v, flag in ATTR.findall(sel):
        n, v = ("null", v.lower()) if flag.strip().lower() == "i" else ("null", v)
        if v and ((op == "*=" and v in n) or (op == "^=" and n.startswith(v)) or
                  (op == "$=" and n.endswith(v)) or (op in ("=", "~=") and n == v) or
                  (op == "|=" and (n == v or n.startswith(v + "-")))):
            return True
    return False


def classify_jsdom(sel, ours, js, ours_err, elements):
    """The forage-vs-jsdom disagreements, each sorted by the selector's form
    into the nwsapi defects seen on the corpus (every class checked by hand on
    reduced selectors, docs/selectors.md)."""
    if ours_err and "nested inside ':has()'" in ours_err:
        return "has-in-has"
    if ours_err:
        return "unexamined"
    if re.search(r'" [sS]\]', sel):
        return "s-flag"
    if re.search(r'[\^$*]=""', sel):
        return "empty-operand"
    if '|=""' in sel:
        return "empty-dash"
    if re.search(r"\\[0-9a-fA-F]{1,6} ", sel):
        return "hex-escape"
    if re.search(r'"[^"]*\'[^"]*"', sel):
        return "quote-in-string"
    if set(js) - set(ours) and null_attribute(sel):
        return "null-attribute"
    return "unexamined"


def check_page(path, per_page, rng, disagreements, js_disagreements, use_jsdom):
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
        js_out = None
        if use_jsdom:
            js_out = subprocess.run(["node", os.path.join(JSDOM_DIR, "select.js"), path, sel_path]
                                    + ([soup.original_encoding] if soup.original_encoding else []),
                                    capture_output=True, check=True).stdout
    finally:
        os.unlink(sel_path)
    lines = out.decode("utf-8", "replace").split("\n")
    js_lines = js_out.decode("utf-8", "replace").split("\n") if js_out is not None else None
    forage_tags = lines[0].split()[1:]
    soup_tags = [e.name for e in elements]
    # forage's tool lowercases the tags Gumbo does not know (clipPath).
    same_tree = [t.lower() for t in forage_tags] == [t.lower() for t in soup_tags]
    js_same_tree = js_lines is not None and \
        js_lines[0].split()[1:] == [t.lower() for t in soup_tags]
    stats = {"selectors": 0, "agree": 0, "matching": 0, "errors": 0, "same_tree": same_tree,
             "reasons": {}, "js_same_tree": js_same_tree, "js_selectors": 0, "js_agree": 0,
             "js_refused": 0, "js_both_refused": 0, "js_reasons": {}, "both": 0,
             "both_js_soup_agree": 0, "js_refused_kinds": {}}
    page = os.path.relpath(path, CORPUS)

    def names(ids):
        return " ".join("%s#%d" % (soup_tags[i], i) for i in ids[:5])

    for n, (sel, line) in enumerate(zip(selectors, lines[1:])):
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
        soup_agrees = ours == theirs and (ours_err is None) == (theirs_err is None)
        if soup_agrees:
            stats["agree"] += 1
        else:
            reason = classify(sel, ours, theirs, ours_err, soup, elements, number, raw_classes)
            stats["reasons"][reason] = stats["reasons"].get(reason, 0) + 1
            only_ours = sorted(set(ours or []) - set(theirs or []))
            only_theirs = sorted(set(theirs or []) - set(ours or []))
            disagreements.append("%s\t%s\t%s\tforage=%s\tsoupsieve=%s\tonly_forage=%s\tonly_soupsieve=%s"
                                 % (reason, page, sel,
                                    ours_err or len(ours), theirs_err or len(theirs),
                                    names(only_ours), names(only_theirs)))
        if not js_same_tree:
            continue  # the element numbers do not line up: counted in the page's tree check
        js_line = js_lines[1 + n]
        if js_line.startswith("error") or ":-soup-contains" in sel:
            # soupsieve's own :-soup-contains is refused by nwsapi, or dropped
            # from a forgiving :is()/:where() list: jsdom cannot evaluate it.
            stats["js_refused"] += 1
            kind = ":-soup-contains" if ":-soup-contains" in sel else \
                "the s flag" if re.search(r'" [sS]\]', sel) else \
                "a hex escape" if re.search(r"\\[0-9a-fA-F]{1,6} ", sel) else "other"
            stats["js_refused_kinds"][kind] = stats["js_refused_kinds"].get(kind, 0) + 1
            if ours_err is not None:
                stats["js_both_refused"] += 1
            continue
        js = [int(x) for x in js_line.split()[1:]]
        stats["js_selectors"] += 1
        if ours == js:
            stats["js_agree"] += 1
            continue
        reason = classify_jsdom(sel, ours, js, ours_err, elements)
        stats["js_reasons"][reason] = stats["js_reasons"].get(reason, 0) + 1
        only_ours = sorted(set(ours or []) - set(js))
        only_js = sorted(set(js) - set(ours or []))
        if not soup_agrees:
            stats["both"] += 1
            if theirs == js and theirs_err is None:
                stats["both_js_soup_agree"] += 1
        soup_side = "same as forage" if soup_agrees else \
            "same as jsdom" if theirs == js and theirs_err is None else \
            theirs_err or len(theirs)
        js_disagreements.append("%s\t%s\t%s\tforage=%s\tjsdom=%d\tsoupsieve=%s\tonly_forage=%s\t"
                                "only_jsdom=%s" % (reason, page, sel, ours_err or len(ours),
                                                   len(js), soup_side, names(only_ours),
                                                   names(only_js)))
    return stats


def ensure_jsdom():
    """Installs the pinned jsdom into bench/jsdom/node_modules on first use."""
    if os.path.exists(os.path.join(JSDOM_DIR, "node_modules", "jsdom", "package.json")):
        return
    print("installing jsdom (pinned by bench/jsdom/package-lock.json) into "
          "bench/jsdom/node_modules: npm ci --no-audit --no-fund", file=sys.stderr)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JSDOM_DIR, check=True)


def jsdom_versions():
    out = subprocess.run(["node", "-e", 'console.log(require("jsdom/package.json").version + " " '
                          '+ require("nwsapi/package.json").version)'], cwd=JSDOM_DIR,
                         capture_output=True, check=True).stdout.decode().split()
    return out[0], out[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-page", type=int, default=150)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--out", default="selector_disagreements.tsv",
                    help="forage-vs-soupsieve disagreements")
    ap.add_argument("--jsdom-out", default="selector_disagreements_jsdom.tsv",
                    help="forage-vs-jsdom disagreements")
    ap.add_argument("--no-jsdom", action="store_true", help="compare with soupsieve only")
    args = ap.parse_args()
    if not os.access(TOOL, os.X_OK):
        sys.exit("build build/bench/selector_agreement first (cmake --build build --target "
                 "selector_agreement)")
    use_jsdom = not args.no_jsdom
    if use_jsdom:
        ensure_jsdom()
    pages = sorted(os.path.join(d, f) for d, _, fs in os.walk(CORPUS) for f in fs
                   if f.endswith((".html", ".htm")))
    keys = ["selectors", "agree", "matching", "errors", "js_selectors", "js_agree", "js_refused",
            "js_both_refused", "both", "both_js_soup_agree"]
    total = {k: 0 for k in keys}
    disagreements, js_disagreements, other_trees, js_other_trees = [], [], [], []
    reasons, js_reasons, js_refused_kinds, unexplained_pages = {}, {}, {}, {}
    for i, path in enumerate(pages):
        stats = check_page(path, args.per_page, random.Random(args.seed + i), disagreements,
                           js_disagreements, use_jsdom)
        for k in total:
            total[k] += stats[k]
        for r, k in stats["reasons"].items():
            reasons[r] = reasons.get(r, 0) + k
            if r == "unexplained":
                unexplained_pages[os.path.relpath(path, CORPUS)] = k
        for r, k in stats["js_refused_kinds"].items():
            js_refused_kinds[r] = js_refused_kinds.get(r, 0) + k
        for r, k in stats["js_reasons"].items():
            js_reasons[r] = js_reasons.get(r, 0) + k
        if not stats["same_tree"]:
            other_trees.append(os.path.relpath(path, CORPUS))
        if use_jsdom and not stats["js_same_tree"]:
            js_other_trees.append(os.path.relpath(path, CORPUS))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(disagreements) + ("\n" if disagreements else ""))
    n = total["selectors"]
    print("%d pages, seed %d, %d selectors a page: %d selectors, %.0f%% matching at least one "
          "element in forage" % (len(pages), args.seed, args.per_page, n,
                                  100.0 * total["matching"] / max(1, n)))
    if use_jsdom:
        with open(args.jsdom_out, "w", encoding="utf-8") as f:
            f.write("\n".join(js_disagreements) + ("\n" if js_disagreements else ""))
        jsdom_version, nwsapi_version = jsdom_versions()
        m = total["js_selectors"]
        print("\nforage vs jsdom %s (nwsapi %s, parse5 trees)" % (jsdom_version, nwsapi_version))
        print("  %d pages with an element tree other than html5lib's: %s (their selectors are "
              "left out)" % (len(js_other_trees), ", ".join(js_other_trees) or "none"))
        print("  %d selectors jsdom refuses or cannot evaluate, counted apart (%s; %d of them "
              "refused by forage too)" % (total["js_refused"], ", ".join(
                  "%d %s" % (v, k) for k, v in sorted(js_refused_kinds.items(),
                                                      key=lambda kv: -kv[1])),
                  total["js_both_refused"]))
        print("  agreement: %d of %d (%.2f%%); disagreements in %s"
              % (total["js_agree"], m, 100.0 * total["js_agree"] / max(1, m), args.jsdom_out))
        for r in JS_REASONS:
            if r in js_reasons:
                print("  %5d  %-18s %s" % (js_reasons[r], r, JS_REASONS[r]))
        print("  forage disagrees with both jsdom and soupsieve on %d selectors (jsdom and "
              "soupsieve agreeing with each other on %d of them)"
              % (total["both"], total["both_js_soup_agree"]))
    print("\nforage vs soupsieve %s (BeautifulSoup + html5lib trees)" % soupsieve.__version__)
    print("  %d pages with a different element tree: %s"
          % (len(other_trees), ", ".join(other_trees) or "none"))
    print("  %d errors on either side" % total["errors"])
    print("  agreement: %d of %d (%.1f%%); disagreements in %s"
          % (total["agree"], n, 100.0 * total["agree"] / max(1, n), args.out))
    for r in REASONS:
        if r in reasons:
            print("  %5d  %-18s %s" % (reasons[r], r, REASONS[r]))
    known = n - reasons.get("unexplained", 0)
    print("  agreement once the known soupsieve differences are set aside: %d of %d (%.2f%%)"
          % (known, n, 100.0 * known / max(1, n)))
    if unexplained_pages:
        print("  unexplained, by page: " + ", ".join(
            "%s %d" % kv for kv in sorted(unexplained_pages.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
