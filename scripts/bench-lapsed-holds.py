#!/usr/bin/env python3
"""A start's latency with N lapsed calls on the account (issue 26: calls that never end).

    python3 scripts/bench-lapsed-holds.py target/release/drawdown sqlite:/tmp/l.db 5000
    python3 scripts/bench-lapsed-holds.py target/release/drawdown postgres://.../fresh_db 5000

Starts N calls with a 1-second quota on a fresh store, moves the server's test clock an
hour ahead (their holds lapse), then times 120 starts (each ended at once): the first one,
which finds the lapsed holds, and the median and worst of the rest. Numbers in BENCHMARKS.md.
"""
import datetime, statistics, sys, threading, time
from bench_server import ADMIN, Server
BIN = sys.argv[1]; DB = sys.argv[2]; N = int(sys.argv[3])
server = Server(BIN, DB)
call = server.call
card = server.card
st, made = call("POST", "/admin/accounts", ADMIN, {"id": "acme", "rateCard": card, "account": {"grants": [{"id": "w", "type": "prepaid", "remaining": "100000000"}]}})
key = made["apiKey"]
t0 = time.time()
for i in range(N):
    st, b = call("POST", "/calls", key, {"id": f"n{i}", "direction": "outbound", "quotaSeconds": 1})
    assert st == 200, b
made_s = time.time() - t0
call("POST", "/admin/clock", ADMIN, {"advanceSeconds": 3600})
def one(i):
    t = time.perf_counter(); st, b = call("POST", "/calls", key, {"id": f"m{i}", "direction": "outbound", "quotaSeconds": 60}); d = time.perf_counter() - t
    assert st == 200, b
    call("POST", f"/calls/m{i}/end", key, {"connectedSeconds": 1})
    return d * 1000
first = one(0)
lat = [one(i) for i in range(1, 121)]
print(f"{DB.split(':')[0]} N={N}: first start after the lapse {first:.1f} ms, then p50 {statistics.median(lat):.2f} ms, max {max(lat):.2f} ms (making them: {made_s:.1f} s)")
server.stop()
