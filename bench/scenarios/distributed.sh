#!/usr/bin/env bash
# Distributed mode (docs/distributed.md): S3-style throughput (PAGES pages,
# no delay) in local mode against a collector plus 1, 2 and 4 node processes
# (1 worker each) on loopback, through a real redis-server. Per run: pages/s,
# Redis commands per page (an upper bound on round trips: a pipeline is one
# round trip for several), redis-server's own CPU per page (from
# /proc/PID/stat), and the CPU of every process per page (collector, nodes
# and their workers, redis-server). Then the memory a pending lease costs.
# Usage: bench/scenarios/distributed.sh [PAGES] [RUNS]
source "$(dirname "$0")/lib.sh"
PAGES=${1:-2000}
RUNS=${2:-1}
print_header "Distributed: $PAGES pages, no delay, local mode vs 1/2/4 nodes through Redis"
start_fixture --pages "$PAGES"
command -v redis-server >/dev/null || { echo "redis-server missing: scripts/install-deps.sh" >&2; exit 1; }
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --appendonly yes --save '' \
  --daemonize no --logfile "$WORK/redis.log" &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break; sleep 0.05; done

python3 - "$FORAGE" "$BASE" "$PAGES" "$RUNS" "$REDIS_PORT" "$REDIS_PID" "$WORK" <<'PY'
import json, os, subprocess, sys, time
forage, base, pages, runs, port, redis_pid, work = sys.argv[1:8]
pages, runs = int(pages), int(runs)
url = f"redis://127.0.0.1:{port}"
tick = os.sysconf("SC_CLK_TCK")
job = ["run", "--url", f"{base}shop/page/{{page}}/", "--pages", f"1-{pages}", "--items", ".product",
       "--field", "id=.add_to_cart_button::attr(data-product_id)", "--field", "name=h2",
       "--field", "price=.price", "--field", "url=.woocommerce-loop-product__link::attr(href)",
       "--concurrency", "16", "--per-host", "0", "--quiet", "--overwrite"]

def redis_cpu():
    f = open(f"/proc/{redis_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

def redis_commands():
    out = subprocess.run(["redis-cli", "-p", port, "INFO", "stats"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("total_commands_processed:"):
            return int(line.split(":")[1])
    return 0

def row(label, wall, cpu, items, rcmd=None, rcpu=None, rt=None):
    s = f"{label:<26} wall {wall:7.3f} s  {pages / wall:7.1f} pages/s  items {items:>6}  cpu/page {1000 * cpu / pages:6.3f} ms"
    if rcmd is not None:
        s += (f"  redis: {rt / pages:5.2f} round trips/page ({rcmd / pages:5.2f} commands, scripts' own"
              f" included)  {1000 * rcpu / pages:6.3f} ms redis-server cpu/page")
    print(s, flush=True)
    return pages / wall

def local(workers):
    rep = f"{work}/local.json"
    subprocess.run([forage] + job + ["-o", f"{work}/local.csv", "--workers", str(workers), "--report", rep], check=False)
    r = json.load(open(rep))
    return row(f"local workers={workers}", r["wall_s"], r["user_s"] + r["sys_s"], r["items"])

def cluster(nodes):
    subprocess.run(["redis-cli", "-p", port, "FLUSHALL"], capture_output=True)
    c0, q0 = redis_cpu(), redis_commands()
    procs = [subprocess.Popen([forage, "worker", "--redis", url, "--workers", "1", "--exit-when-idle", "1s", "--quiet"])
             for _ in range(nodes)]
    rep = f"{work}/cluster.json"
    t0 = time.monotonic()
    subprocess.run([forage] + job + ["-o", f"{work}/cluster.csv", "--redis", url, "--workers", "0", "--report", rep], check=False)
    node_cpu = 0.0
    for p in procs:
        _, _, ru = os.wait4(p.pid, 0)
        node_cpu += ru.ru_utime + ru.ru_stime
    r = json.load(open(rep))
    c1, q1 = redis_cpu(), redis_commands()
    # Round trips, as each process counted them (nodes wrote theirs when they ended).
    rt = int(subprocess.run(["redis-cli", "-p", port, "HGET", "forage:{cluster}:meta", "round_trips"],
                            capture_output=True, text=True).stdout.strip() or 0)
    flat = subprocess.run(["redis-cli", "-p", port, "--raw", "HGETALL", "forage:{cluster}:nodes"],
                          capture_output=True, text=True).stdout.splitlines()
    for k, v in zip(flat[0::2], flat[1::2]):
        if k.endswith(":info"):
            rt += json.loads(v).get("round_trips", 0)
    # Every process's CPU: the collector, each node with its workers, Redis.
    cpu = r["user_s"] + r["sys_s"] + node_cpu + (c1 - c0)
    same = open(f"{work}/cluster.csv", "rb").read() == open(f"{work}/local.csv", "rb").read()
    rate = row(f"redis nodes={nodes}x1 worker", r["wall_s"], cpu, r["items"], q1 - q0 - 2, c1 - c0, rt)
    if not same:
        print("   ! output differs from local mode", flush=True)
    return rate

for i in range(runs):
    l1 = local(1)
    l2 = local(2)
    n1 = cluster(1)
    n2 = cluster(2)
    n4 = cluster(4)
    print(f"   one node / local(1 worker) = {n1 / l1:.2f}   2 nodes / 1 node = {n2 / n1:.2f}"
          f"   4 nodes / 1 node = {n4 / n1:.2f}   local(2 workers) / local(1) = {l2 / l1:.2f}", flush=True)

# What a pending lease costs Redis: 100,000 entries like the collector's,
# read by one consumer (so each has a pending-list record), and used_memory.
def used():
    out = subprocess.run(["redis-cli", "-p", port, "INFO", "memory"], capture_output=True, text=True).stdout
    return int([l for l in out.splitlines() if l.startswith("used_memory:")][0].split(":")[1])
subprocess.run(["redis-cli", "-p", port, "FLUSHALL"], capture_output=True)
subprocess.run(["redis-cli", "-p", port, "XGROUP", "CREATE", "forage:{m}:pages", "nodes", "$", "MKSTREAM"], capture_output=True)
m0 = used()
lua = ("for i=1,100000 do redis.call('XADD', KEYS[1], '*', 'p', tostring(i), 'u', "
       "ARGV[1] .. i .. '/', 'r', '0') end return 1")
subprocess.run(["redis-cli", "-p", port, "EVAL", lua, "1", "forage:{m}:pages", f"{base}shop/page/"], capture_output=True)
m1 = used()
subprocess.run(["redis-cli", "-p", port, "XREADGROUP", "GROUP", "nodes", "n", "COUNT", "100000", "STREAMS",
                "forage:{m}:pages", ">"], capture_output=True)
m2 = used()
print(f"-- memory: {(m1 - m0) / 1e5:.0f} bytes per lease in the stream, {(m2 - m0) / 1e5:.0f} bytes once taken "
      f"by a node (pending-list record included); URL {len(base) + 16} bytes", flush=True)
PY
