#!/usr/bin/env python3
"""What an interrupted --crawl costs on --resume: pages fetched again.

Crawls the fixture's shop list pages from page 1 (--crawl, --allow list
pages: PAGES pages in all), stops the run once HALF of them were asked for
(kill -9 of the master's process group, or SIGINT), resumes it, and counts
from the fixture's request log the pages the resumed run fetched that the
first run had fetched already. A restart (what --resume did before crawls
resumed page by page: a single start URL's tree was stored only whole) would
fetch every page of the first run again.

  bench/scenarios/crawl_resume.py [--pages 320] [--delay 5] [--stop kill|sigint] [--runs 3]

Prints one line per run. The figures of a loaded machine vary run to run
(when the stop lands between checkpoints); compare within one run.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))


def stats(base):
    with urllib.request.urlopen(base + "__stats") as r:
        paths = json.load(r)["paths"]
    paths.pop("/robots.txt", None)
    return paths


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=320)
    ap.add_argument("--delay", type=int, default=5, help="fixture delay per page, ms")
    ap.add_argument("--stop", choices=["kill", "sigint"], default="kill")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    fixture = subprocess.Popen(
        [os.path.join(BUILD, "forage-fixture"), "--port", "0", "--pages", str(args.pages),
         "--delay", str(args.delay)], stdout=subprocess.PIPE, text=True)
    try:
        base = fixture.stdout.readline().strip()
        for run in range(args.runs):
            work = tempfile.mkdtemp(prefix="forage-crawl-resume.")
            out = os.path.join(work, "out.jsonl")
            job = [os.path.join(BUILD, "forage"), "run", "--url", base + "shop/page/1/",
                   "--crawl", "--allow", "/shop/page/[0-9]+/$", "--items", ".product",
                   "--field", "id=.add_to_cart_button::attr(data-product_id)",
                   "--workers", "2", "--concurrency", "8", "-o", out, "--quiet"]
            urllib.request.urlopen(base + "__reset").read()
            first = subprocess.Popen(job, start_new_session=True)
            while len(stats(base)) < args.pages // 2 and first.poll() is None:
                time.sleep(0.005)
            if args.stop == "kill":
                os.killpg(first.pid, signal.SIGKILL)
            else:
                first.send_signal(signal.SIGINT)
            first.wait()
            before = stats(base)
            rc = subprocess.run(job + ["--resume"]).returncode
            after = stats(base)
            again = sum(1 for p, n in after.items() if n > before.get(p, 0) and p in before)
            records = sum(1 for _ in open(out))
            ids = [json.loads(line)["id"] for line in open(out)]
            print(f"run {run}: stop={args.stop} first run fetched {len(before)} of {args.pages}; "
                  f"resume exit {rc} fetched {sum(after.values()) - sum(before.values())}, "
                  f"{again} of them again (a restart: {len(before)} again); "
                  f"records {records}, distinct {len(set(ids))}")
            subprocess.run(["rm", "-rf", work])
    finally:
        fixture.terminate()
        fixture.wait()


if __name__ == "__main__":
    sys.exit(main())
