#!/usr/bin/python3
"""Tables for peers.sh: runs.jsonl (one line per run, written by the peers'
tools/bench.py) -> one markdown table per scenario.

  peers_report.py RUNS.jsonl BOUNDS CORES

BOUNDS has lines SCENARIO|LOWER_BOUND_SECONDS (0 = none). Medians over the
counted runs (warm-ups left out), with min..max when there is more than one.
"vs forage" divides by the fastest forage row of the scenario (marked *):
wall by its wall, CPU (user + sys) by its CPU. "wall/bound" divides the wall
median by the scenario's lower bound. A run whose CSV failed the check, that
exited non-zero or timed out is reported in a WARNING line under the table.
"""
import collections
import json
import statistics
import sys

TITLES = {
    "S1": "S1 IO-bound: 48 pages x 500 ms delay",
    "S2": "S2 mixed IO/CPU: 48 pages x 200 ms delay + 100 ms CPU per page",
    "S3": "S3 throughput: 2000 pages, no delay",
    "S4": "S4 queueing server: 48 pages x 300 ms, at most 4 in service",
}


def med(vals):
    m = statistics.median(vals)
    if len(vals) > 1:
        return "%.2f (%.2f..%.2f)" % (m, min(vals), max(vals))
    return "%.2f" % m


def main():
    jsonl, bounds_path, cores = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bounds = {}
    try:
        for line in open(bounds_path):
            sc, _, b = line.strip().partition("|")
            bounds[sc] = float(b or 0)
    except FileNotFoundError:
        pass
    runs = collections.OrderedDict()
    for line in open(jsonl):
        r = json.loads(line)
        runs.setdefault(r["scenario"], collections.OrderedDict()).setdefault(r["name"], []).append(r)

    for sc, cases in runs.items():
        bound = bounds.get(sc, 0.0)
        rows = []
        for name, rs in cases.items():
            counted = [r for r in rs if not r["warmup"]]
            if not counted:
                continue
            wall = [r["wall"] for r in counted]
            user = [r["user"] for r in counted]
            sys_ = [r["sys"] for r in counted]
            cpu = [r["user"] + r["sys"] for r in counted]
            rows.append(dict(name=name, runs=counted, wall=wall, user=user, sys=sys_, cpu=cpu,
                             mwall=statistics.median(wall), mcpu=statistics.median(cpu),
                             pages=counted[0]["pages"],
                             fixture=statistics.median([r["server_cpu"] or 0 for r in counted])))
        forage = [r for r in rows if r["name"].startswith("forage")]
        ref = min(forage, key=lambda r: r["mwall"]) if forage else None
        print("### %s, lower bound %s" % (TITLES.get(sc, sc), ("%.3f s" % bound) if bound else "-"))
        print()
        extra = sc == "S3"
        head = ["scraper", "runs", "wall s", "user s", "sys s", "CPU s", "wall vs forage",
                "CPU vs forage", "wall/bound", "rows", "correct", "fixture CPU s"]
        if extra:
            head += ["pages/s", "CPU ms/page"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        warnings = []
        for r in rows:
            ok = sum(1 for x in r["runs"] if x["ok"])
            rowcounts = sorted({x["rows"] for x in r["runs"]})
            name = r["name"] + (" *" if r is ref else "")
            cells = [name, str(len(r["runs"])), med(r["wall"]), med(r["user"]), med(r["sys"]), med(r["cpu"]),
                     ("%.2fx" % (r["mwall"] / ref["mwall"])) if ref else "-",
                     ("%.2fx" % (r["mcpu"] / ref["mcpu"])) if ref and ref["mcpu"] > 0 else "-",
                     ("%.2fx" % (r["mwall"] / bound)) if bound else "-",
                     "/".join(str(c) for c in rowcounts), "%d/%d" % (ok, len(r["runs"])),
                     "%.2f" % r["fixture"]]
            if extra:
                cells += ["%.0f" % (r["pages"] / r["mwall"]), "%.2f" % (1000 * r["mcpu"] / r["pages"])]
            print("| " + " | ".join(cells) + " |")
            for x in r["runs"]:
                if not x["ok"] or x["rc"] != 0 or x["timed_out"]:
                    warnings.append("WARNING %s %s run %d: %s%s%s" % (
                        sc, r["name"], x["run"], x["check"], "" if x["rc"] == 0 else ", exit %s" % x["rc"],
                        ", TIMED OUT" if x["timed_out"] else ""))
        print()
        if ref:
            print("(* reference forage row; CPU = user + sys of the whole process tree; %d cores)" % cores)
        for w in warnings:
            print(w)
        print()


if __name__ == "__main__":
    main()
