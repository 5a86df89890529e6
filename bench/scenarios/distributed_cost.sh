#!/usr/bin/env bash
# Where a distributed page's CPU goes (docs/benchmarks.md): the S3 job
# (PAGES pages, no delay) in local mode and with a collector plus 1 and 2
# nodes (1 worker each), every process under `perf stat -e instructions:u`.
# Instructions do not depend on how loaded the machine is (CPU time does,
# a little; wall time a lot), so this is the figure to compare across runs.
# Per role, per page: instructions (user space) and CPU ms (task-clock,
# kernel included), and round trips to Redis as each process counted them;
# redis-server's instructions (perf stat -p during the run) and its
# per-command calls (INFO commandstats).
# The workers' share is (node with its workers) - (node master alone):
# each cluster run is made twice, the nodes' children counted or not.
# Usage: bench/scenarios/distributed_cost.sh [PAGES] [NODES...]
source "$(dirname "$0")/lib.sh"
PAGES=${1:-2000}
shift || true
NODES=${*:-1 2}
command -v perf >/dev/null || { echo "perf missing" >&2; exit 1; }
print_header "Distributed cost: $PAGES pages, instructions per page per role (nodes: $NODES)"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
start_fixture --pages "$PAGES"
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --appendonly yes --save '' \
  --daemonize no --logfile "$WORK/redis.log" &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break; sleep 0.05; done

python3 - "$FORAGE" "$BASE" "$PAGES" "$REDIS_PORT" "$REDIS_PID" "$WORK" $NODES <<'PY'
import json, os, signal, subprocess, sys, time
forage, base, pages, port, redis_pid, work = sys.argv[1:7]
node_counts = [int(n) for n in sys.argv[7:]]
pages = int(pages)
url = f"redis://127.0.0.1:{port}"
job = ["run", "--url", f"{base}shop/page/{{page}}/", "--pages", f"1-{pages}", "--items", ".product",
       "--field", "id=.add_to_cart_button::attr(data-product_id)", "--field", "name=h2",
       "--field", "price=.price", "--field", "url=.woocommerce-loop-product__link::attr(href)",
       "--concurrency", "16", "--per-host", "0", "--quiet", "--overwrite"]

def perf(out, inherit=True):
    return ["perf", "stat", "-x", ",", "-o", out, "-e", "instructions:u,task-clock"] + \
           ([] if inherit else ["--no-inherit"]) + ["--"]

def read_perf(path):
    ins = ms = 0.0
    for line in open(path):
        f = line.strip().split(",")
        if len(f) < 3 or f[0] in ("", "<not counted>", "<not supported>"):
            continue
        if f[2].startswith("instructions"):
            ins = float(f[0])
        elif f[2].startswith("task-clock"):
            ms = float(f[0])
    return ins, ms

def redis(*args):
    return subprocess.run(["redis-cli", "-p", port] + list(args), capture_output=True, text=True).stdout

def commandstats():
    out = {}
    for line in redis("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            kv = dict(x.split("=") for x in rest.split(","))
            out[name] = (int(kv["calls"]), float(kv["usec"]))
    return out

def fmt(label, ins, ms, rt=None):
    instr = f"{ins / pages / 1e3:9.1f} k" if ins > 0 else "      n/a"  # no PMU (a VM): CPU time only
    s = f"   {label:<40} {instr} instr/page  {ms / pages:7.3f} ms cpu/page"
    if rt is not None:
        s += f"  {rt / pages:5.2f} round trips/page"
    return s

def local():
    res = {}
    for inherit in (True, False):
        p = f"{work}/perf-local-{inherit}.txt"
        subprocess.run(perf(p, inherit) + [forage] + job + ["-o", f"{work}/local.csv", "--workers", "1"], check=False)
        res[inherit] = read_perf(p)
    print(f"-- local mode, 1 worker", flush=True)
    master = res[False]
    worker = (res[True][0] - master[0], res[True][1] - master[1])
    print(fmt("master", *master))
    print(fmt("worker", *worker))
    print(fmt("all", *res[True]), flush=True)
    return worker

def cluster(nodes, inherit):
    redis("FLUSHALL")
    redis("CONFIG", "RESETSTAT")
    rp = f"{work}/perf-redis.txt"
    rperf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", rp, "-e", "instructions:u,task-clock",
                              "-p", redis_pid])
    time.sleep(0.3)
    procs = []
    for i in range(nodes):
        p = f"{work}/perf-node{i}.txt"
        procs.append((p, subprocess.Popen(perf(p, inherit) + [forage, "worker", "--redis", url, "--workers", "1",
                                                              "--exit-when-idle", "1s", "--quiet"])))
    cp = f"{work}/perf-collector.txt"
    rep = f"{work}/cluster.json"
    subprocess.run(perf(cp) + [forage] + job + ["-o", f"{work}/cluster.csv", "--redis", url, "--workers", "0",
                                                "--report", rep], check=False)
    for _, p in procs:
        p.wait()
    rperf.send_signal(signal.SIGINT)
    rperf.wait()
    stats = commandstats()
    r = json.load(open(rep))
    rt_c = int(redis("HGET", "forage:{cluster}:meta", "round_trips").strip() or 0)
    rt_n = 0
    flat = redis("--raw", "HGETALL", "forage:{cluster}:nodes").splitlines()
    for k, v in zip(flat[0::2], flat[1::2]):
        if k.endswith(":info"):
            rt_n += json.loads(v).get("round_trips", 0)
    nodes_perf = [read_perf(p) for p, _ in procs]
    node = (sum(x[0] for x in nodes_perf), sum(x[1] for x in nodes_perf))
    return dict(collector=read_perf(cp), node=node, redis=read_perf(rp), rt_c=rt_c, rt_n=rt_n,
                stats=stats, wall=r["wall_s"])

worker = local()
for n in node_counts:
    masters = cluster(n, False)
    full = cluster(n, True)
    print(f"-- collector + {n} node(s) x 1 worker  (wall {masters['wall']:.2f} s / {full['wall']:.2f} s)")
    print(fmt("collector", *masters["collector"], masters["rt_c"]))
    print(fmt(f"node master(s), {n} together", *masters["node"], masters["rt_n"]))
    w = (full["node"][0] - masters["node"][0], full["node"][1] - masters["node"][1])
    print(fmt(f"worker(s), {n} together", *w))
    print(fmt("redis-server", *masters["redis"]))
    over = (masters["collector"][0] + masters["node"][0] + masters["redis"][0],
            masters["collector"][1] + masters["node"][1] + masters["redis"][1])
    print(fmt("distributed overhead (all but workers)", *over, masters["rt_c"] + masters["rt_n"]))
    calls = sorted(masters["stats"].items(), key=lambda kv: -kv[1][0])
    print("   redis calls/page: " + "  ".join(f"{k} {c / pages:.2f} ({u / c:.1f} us)" for k, (c, u) in calls
                                             if c >= pages / 100), flush=True)
PY
