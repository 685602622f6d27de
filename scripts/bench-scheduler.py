#!/usr/bin/env python3
"""The scheduler against requests (issue 26, SEMANTICS 15 "On time").

    python3 scripts/bench-scheduler.py target/release/drawdown sqlite:/tmp/s.db 2000
    python3 scripts/bench-scheduler.py target/release/drawdown postgres://.../fresh_db 2000

Makes N accounts whose promotional grants all expire at the same instant, and one busy
account. Times `POST /usage` on the busy account before the instant (quiet), then moves the
test clock past it and keeps timing while the scheduler books the N expiries; answers how
long the scheduler took to book them all and the busy account's p50 and p99 in both phases.
Numbers in BENCHMARKS.md.
"""
import datetime, statistics, sys, threading, time
from bench_server import ADMIN, Server
BIN = sys.argv[1]; DB = sys.argv[2]; N = int(sys.argv[3])
server = Server(BIN, DB)
call = server.call
card = server.card
st, now = call("POST", "/admin/clock", ADMIN, {"advanceSeconds": 0})
expires = now["now"][:19] + "Z"  # whole seconds; the clock is moved an hour past it below
x = (datetime.datetime.fromisoformat(expires.replace("Z", "+00:00")) + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
readers = []
for i in range(N):
    st, b = call("POST", "/admin/accounts", ADMIN, {"id": f"q{i}", "rateCard": card, "account": {"grants": [
        {"id": "promo", "type": "promotional", "remaining": "100", "expiresAt": x},
        {"id": "w", "type": "prepaid", "remaining": "1000"}]}})
    assert st == 201, b
    readers.append(b["readKey"])
st, made = call("POST", "/admin/accounts", ADMIN, {"id": "busy", "rateCard": card, "account": {"grants": [{"id": "w", "type": "prepaid", "remaining": "100000000"}]}})
key = made["apiKey"]
n = [0]
def usage():
    n[0] += 1
    at = call("POST", "/admin/clock", ADMIN, {"advanceSeconds": 0})[1]["now"][:19] + "Z"
    ev = {"id": f"u{n[0]}", "at": at, "kind": "chat", "messages": 1}
    t = time.perf_counter(); st, b = call("POST", "/usage", key, {"events": [ev]}, idem=f"k{n[0]}"); d = time.perf_counter() - t
    assert st == 200, b
    return d * 1000
quiet = [usage() for _ in range(200)]
call("POST", "/admin/clock", ADMIN, {"advanceSeconds": 3600})
t0 = time.perf_counter(); busy = []; stop = threading.Event()
def load():
    while not stop.is_set():
        busy.append(usage())
threading.Thread(target=load).start()
# Each quiet account's ledger until its expiry is there; the last one found dates the end.
pending = list(readers)
while pending and time.perf_counter() - t0 < 120:
    left = []
    for k in pending:
        st, led = call("GET", "/billing/ledger?limit=1000", k)
        if not any(e["kind"] == "expiry" for e in led["entries"]): left.append(k)
    pending = left
done_at = time.perf_counter() - t0
stop.set(); time.sleep(0.2)
assert not pending, f"{len(pending)} accounts not booked"
def pct(xs, q): xs = sorted(xs); return xs[min(len(xs) - 1, int(q * len(xs)))]
print(f"{DB.split(':')[0]} N={N}: all {N} expiries booked (and found by polling every ledger) {done_at:.2f} s after the clock passed them; "
      f"the busy account's POST /usage: quiet p50 {statistics.median(quiet):.2f} ms p99 {pct(quiet, .99):.2f} ms, "
      f"while the scheduler booked p50 {statistics.median(busy):.2f} ms p99 {pct(busy, .99):.2f} ms ({len(busy)} requests)")
server.stop()
