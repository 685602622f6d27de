# Writes tests/vectors/inbound_limits.json (SEMANTICS 18). Every expected number below is worked
# by hand (the comments give the arithmetic); nothing here runs the engine.
import json, copy
CARD = {"currency": "USD", "creditsPerUnit": "100", "rounding": {"mode": "half_up", "creditDecimals": 4},
        "voice": {"perMinute": "9", "increment": "60/60", "connectFee": "0"}, "tollFreeSurcharge": {"perMinute": "2"}}
def acct(limits=None, usage=None, holds=None, tz="UTC"):
    a = {"timeZone": tz, "plan": None, "grants": [{"id": "w", "type": "prepaid", "remaining": "100000", "priority": 50,
         "effectiveAt": "2026-01-01T00:00:00Z", "expiresAt": None, "createdAt": "2026-01-01T00:00:00Z"}], "owed": "0"}
    if limits is not None: a["inboundLimits"] = limits
    if usage: a["inboundUsage"] = [dict(hour=h, seconds=s, **({"numberId": n} if n else {})) for h, n, s in usage]
    if holds: a["holds"] = holds
    return a
def hold(id, started, granted, number=None, direction="inbound", toll_free=True, valid=None):
    h = {"id": id, "kind": "call", "direction": direction, "tollFree": toll_free, "startedAt": started,
         "grantedSeconds": granted, "includedSeconds": 0, "planCredits": "0", "credits": "55",
         "validUntil": valid or plus(started, granted + 60)}
    if number: h["numberId"] = number
    return h
def plus(t, s):
    import datetime
    d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00")) + datetime.timedelta(seconds=s)
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")
V = []
def auth(name, account, at, expect, number=None, direction="inbound", toll_free=True):
    call = {"direction": direction, "tollFree": toll_free, "at": at}
    if number: call["numberId"] = number
    V.append({"name": name, "op": "authorizeCall", "input": {"rateCard": CARD, "account": account, "call": call}, "expect": expect})
def ok(max_seconds, limit=None):
    e = {"allowed": True, "code": "ok", "maxSeconds": max_seconds}
    if limit: e["limit"] = limit
    return e
def refused(limit):
    return {"allowed": False, "code": "inbound_limit", "action": "reject_inbound", "maxSeconds": 0, "limit": limit,
            "error": {"code": "inbound_limit"}}
T = "2026-03-10T12:00:00Z"   # a Tuesday
# The wallet holds 100,000 credits; an inbound toll-free minute costs 9 + 2 = 11, so credits
# never bind here: an unlimited call gets the day-long cap, 86,400 s.

# ---- concurrency ----
two = [hold("h1", "2026-03-10T11:58:00Z", 300), hold("h2", "2026-03-10T11:59:00Z", 300)]
auth("concurrency: one live call under a limit of 2 starts; concurrency does not shorten it",
     acct({"maxConcurrentCalls": 2}, holds=two[:1]), T, ok(86400))
auth("concurrency: two live calls at a limit of 2 refuse the third",
     acct({"maxConcurrentCalls": 2}, holds=two), T, refused("maxConcurrentCalls"))
auth("concurrency: a hold past its validUntil (lapsed) does not count",
     acct({"maxConcurrentCalls": 2}, holds=[two[0], hold("h2", "2026-03-10T11:50:00Z", 300, valid="2026-03-10T11:56:00Z")]), T, ok(86400))
auth("concurrency: an outbound call's hold does not count",
     acct({"maxConcurrentCalls": 2}, holds=[two[0], hold("h2", "2026-03-10T11:59:00Z", 300, direction="outbound", toll_free=False)]), T, ok(86400))
auth("concurrency: an inbound call to a local (not toll-free) number does not count",
     acct({"maxConcurrentCalls": 2}, holds=[two[0], hold("h2", "2026-03-10T11:59:00Z", 300, toll_free=False)]), T, ok(86400))
auth("concurrency: an outbound call is not limited (9/min: 100,000 credits outlast the day)",
     acct({"maxConcurrentCalls": 2}, holds=two), T, ok(86400), direction="outbound", toll_free=False)
auth("concurrency: an inbound call to a local number is not limited",
     acct({"maxConcurrentCalls": 2}, holds=two), T, ok(86400), toll_free=False)
pn = [hold("h1", "2026-03-10T11:58:00Z", 300, number="tf-1")]
auth("per number: tf-1 at its limit of 1 leaves tf-2 open",
     acct({"perNumber": {"tf-1": {"maxConcurrentCalls": 1}}}, holds=pn), T, ok(86400), number="tf-2")
auth("per number: tf-1 at its limit of 1 refuses a second call to tf-1",
     acct({"perNumber": {"tf-1": {"maxConcurrentCalls": 1}}}, holds=pn), T, refused("perNumber.tf-1.maxConcurrentCalls"), number="tf-1")
auth("per number: a live call to tf-2 does not count toward tf-1's limit",
     acct({"perNumber": {"tf-1": {"maxConcurrentCalls": 1}}}, holds=[hold("h1", "2026-03-10T11:58:00Z", 300, number="tf-2")]), T, ok(86400), number="tf-1")
auth("per number against account-wide: the account's limit of 1 refuses tf-2 when tf-1 holds the one call",
     acct({"maxConcurrentCalls": 1, "perNumber": {"tf-2": {"maxConcurrentCalls": 5}}}, holds=pn), T, refused("maxConcurrentCalls"), number="tf-2")

# ---- minutes per hour (account-wide, UTC) ----
H = "2026-03-10T12:00:00Z"
auth("hour: 50 of 60 minutes used at 12:30 leave 600 s",
     acct({"maxMinutesPerHour": 60}, usage=[(H, None, 3000)]), "2026-03-10T12:30:00Z", ok(600, "maxMinutesPerHour"))
auth("hour: exactly 60 of 60 minutes used refuses the call",
     acct({"maxMinutesPerHour": 60}, usage=[(H, None, 3600)]), "2026-03-10T12:30:00Z", refused("maxMinutesPerHour"))
auth("hour: one second short of the limit grants one second",
     acct({"maxMinutesPerHour": 60}, usage=[(H, None, 3599)]), "2026-03-10T12:30:00Z", ok(1, "maxMinutesPerHour"))
auth("hour: the previous hour's minutes do not count, and one call alone never passes 60 an hour",
     acct({"maxMinutesPerHour": 60}, usage=[("2026-03-10T11:00:00Z", None, 3600)]), "2026-03-10T12:30:00Z", ok(86400))
# 30 min/h from 12:30: the rest of this hour (1,800 s) fits 1,800; the next hour allows 1,800 of its 3,600: 1,800 + 1,800.
auth("hour: a call runs through the hour's end and is cut by the next hour's 30 minutes",
     acct({"maxMinutesPerHour": 30}), "2026-03-10T12:30:00Z", ok(3600, "maxMinutesPerHour"))
auth("hour: 25 of 30 minutes used at 12:50 leave 300 s of this hour",
     acct({"maxMinutesPerHour": 30}, usage=[(H, None, 1500)]), "2026-03-10T12:50:00Z", ok(300, "maxMinutesPerHour"))
# At 12:55 the 300 s left fit the 300 s to 13:00; 13:00-14:00 allows 1,800: 300 + 1,800.
auth("hour: 300 s left at 12:55 reach 13:00, then the next hour's 30 minutes",
     acct({"maxMinutesPerHour": 30}, usage=[(H, None, 1500)]), "2026-03-10T12:55:00Z", ok(2100, "maxMinutesPerHour"))
# Holds: h1 11:58 + 300 s overlaps 12:00-13:00 by 180 s; h2 12:01 + 300 s by 300 s; 600 - 480 = 120.
auth("hour: live holds count their granted seconds inside the hour",
     acct({"maxMinutesPerHour": 10}, holds=[hold("h1", "2026-03-10T11:58:00Z", 300), hold("h2", "2026-03-10T12:01:00Z", 300)]),
     "2026-03-10T12:02:00Z", ok(120, "maxMinutesPerHour"))
# Ended 200 s + hold 300 s (12:01-12:06) = 500 of 600.
auth("hour: ended minutes and live holds add up",
     acct({"maxMinutesPerHour": 10}, usage=[(H, None, 200)], holds=[hold("h2", "2026-03-10T12:01:00Z", 300)]),
     "2026-03-10T12:02:00Z", ok(100, "maxMinutesPerHour"))
auth("hour: a lapsed hold's seconds do not count",
     acct({"maxMinutesPerHour": 10}, usage=[(H, None, 200)], holds=[hold("h2", "2026-03-10T12:00:00Z", 300, valid="2026-03-10T12:01:00Z")]),
     "2026-03-10T12:02:00Z", ok(400, "maxMinutesPerHour"))
auth("hour: a held outbound call does not count",
     acct({"maxMinutesPerHour": 10}, holds=[hold("h2", "2026-03-10T12:01:00Z", 300, direction="outbound", toll_free=False)]),
     "2026-03-10T12:02:00Z", ok(600, "maxMinutesPerHour"))

# ---- minutes per day ----
auth("day: 100 of 120 minutes used leave 1,200 s",
     acct({"maxMinutesPerDay": 120}, usage=[("2026-03-10T08:00:00Z", None, 3000), ("2026-03-10T10:00:00Z", None, 3000)]), T, ok(1200, "maxMinutesPerDay"))
auth("day: at 23:50 with 7,000 s used, 200 s are left before midnight",
     acct({"maxMinutesPerDay": 120}, usage=[("2026-03-10T20:00:00Z", None, 7000)]), "2026-03-10T23:50:00Z", ok(200, "maxMinutesPerDay"))
# 600 s left fit the 600 s to midnight; the next day allows 7,200 of the 85,800 s left of the cap: 600 + 7,200.
auth("day: across midnight the next day's allowance starts over",
     acct({"maxMinutesPerDay": 120}, usage=[("2026-03-10T20:00:00Z", None, 6600)]), "2026-03-10T23:50:00Z", ok(7800, "maxMinutesPerDay"))
auth("day: yesterday's minutes do not count after midnight",
     acct({"maxMinutesPerDay": 120}, usage=[("2026-03-09T23:00:00Z", None, 3600)]), "2026-03-10T00:10:00Z", ok(7200, "maxMinutesPerDay"))
# New York on 2026-03-10 is UTC-4 (EDT since 03-08): 01:00Z is 21:00 on 03-09, whose local day ends at 04:00Z.
ny_bucket = [("2026-03-10T01:00:00Z", None, 6000)]
auth("day in the account's zone: 03:30Z is still 03-09 in New York; 1,200 s left",
     acct({"maxMinutesPerDay": 120}, usage=ny_bucket, tz="America/New_York"), "2026-03-10T03:30:00Z", ok(1200, "maxMinutesPerDay"))
auth("day in the account's zone: at 04:30Z New York's 03-10 has begun and 01:00Z's minutes were yesterday's",
     acct({"maxMinutesPerDay": 120}, usage=ny_bucket, tz="America/New_York"), "2026-03-10T04:30:00Z", ok(7200, "maxMinutesPerDay"))
auth("day in UTC: the same minutes at 01:00Z count on 03-10 at 04:30Z",
     acct({"maxMinutesPerDay": 120}, usage=ny_bucket), "2026-03-10T04:30:00Z", ok(1200, "maxMinutesPerDay"))
# Spring forward: New York's 03-08 runs 05:00Z to 04:00Z next day (23 h). At 03:50Z (23:50 EDT) 600 s fit to 04:00Z,
# then 03-09 allows 7,200: 7,800 (a day of 24 h from 05:00Z would end at 05:00Z and cut at 600).
auth("day across spring-forward: New York's 23-hour 03-08 ends at 04:00Z",
     acct({"maxMinutesPerDay": 120}, usage=[("2026-03-08T20:00:00Z", None, 6600)], tz="America/New_York"), "2026-03-09T03:50:00Z", ok(7800, "maxMinutesPerDay"))
# Fall back: New York's 11-01 runs 04:00Z to 05:00Z on 11-02 (25 h). At 04:30Z (23:30 EST) 600 s are left of 1,800 to 05:00Z.
auth("day across fall-back: New York's 25-hour 11-01 still runs at 04:30Z on 11-02",
     acct({"maxMinutesPerDay": 120}, usage=[("2026-11-01T12:00:00Z", None, 6600)], tz="America/New_York"), "2026-11-02T04:30:00Z", ok(600, "maxMinutesPerDay"))
# Fall back's repeated hour: 01:00 EDT is 05:00Z-06:00Z, 01:00 EST is 06:00Z-07:00Z: two hours. 50 min/h at 06:10Z:
# 3,000 s fit the 3,000 s to 07:00Z, then 07:00Z-08:00Z allows 3,000: 6,000 (one merged local hour would refuse).
auth("hour across fall-back: the repeated 01:00 is two hours, each with its own minutes",
     acct({"maxMinutesPerHour": 50}, usage=[("2026-11-01T05:00:00Z", None, 3000)], tz="America/New_York"), "2026-11-01T06:10:00Z", ok(6000, "maxMinutesPerHour"))
# Kolkata is UTC+5:30: its hours start at :30Z. 12:40Z is in 12:30Z-13:30Z; the 12:00Z bucket is in the hour before.
auth("hour in a half-hour zone: Kolkata's hour starts at :30 UTC",
     acct({"maxMinutesPerHour": 10}, usage=[("2026-03-10T12:00:00Z", None, 600), ("2026-03-10T12:30:00Z", None, 300)], tz="Asia/Kolkata"),
     "2026-03-10T12:40:00Z", ok(300, "maxMinutesPerHour"))

# ---- per number against account-wide ----
u = [(H, "tf-1", 300), (H, "tf-2", 3000)]
auth("per number: tf-1 has used 300 of its 600 s this hour",
     acct({"perNumber": {"tf-1": {"maxMinutesPerHour": 10}}}, usage=u), "2026-03-10T12:30:00Z", ok(300, "perNumber.tf-1.maxMinutesPerHour"), number="tf-1")
auth("per number: tf-2 has no limit of its own",
     acct({"perNumber": {"tf-1": {"maxMinutesPerHour": 10}}}, usage=u), "2026-03-10T12:30:00Z", ok(86400), number="tf-2")
auth("per number against account-wide: the account's 3,300 of 3,600 s bind before tf-1's 300 left (a tie goes to the account)",
     acct({"maxMinutesPerHour": 60, "perNumber": {"tf-1": {"maxMinutesPerHour": 10}}}, usage=u), "2026-03-10T12:30:00Z", ok(300, "maxMinutesPerHour"), number="tf-1")
auth("per number against account-wide: tf-2's 3,000 s leave the account 100 s, tighter than tf-1's 300",
     acct({"maxMinutesPerHour": 60, "perNumber": {"tf-1": {"maxMinutesPerHour": 10}}}, usage=[(H, "tf-1", 300), (H, "tf-2", 3200)]),
     "2026-03-10T12:30:00Z", ok(100, "maxMinutesPerHour"), number="tf-1")
auth("per number: a call naming no number meets only the account-wide limits",
     acct({"maxMinutesPerHour": 60, "perNumber": {"tf-1": {"maxMinutesPerHour": 1}}}, usage=u), "2026-03-10T12:30:00Z", ok(300, "maxMinutesPerHour"))
auth("per number: tf-1's day of 30 minutes, 1,500 s used at 08:00",
     acct({"perNumber": {"tf-1": {"maxMinutesPerDay": 30}}}, usage=[("2026-03-10T08:00:00Z", "tf-1", 1500)]), T, ok(300, "perNumber.tf-1.maxMinutesPerDay"), number="tf-1")

# ---- surge: the same hour of the week over the last 4 weeks, per number ----
S = {"surge": {"ratio": "3", "floorMinutes": 10}}
weeks = ["2026-03-03T12:00:00Z", "2026-02-24T12:00:00Z", "2026-02-17T12:00:00Z", "2026-02-10T12:00:00Z"]
# 4 x 600 s: average 600, x3 = 1,800 s (floor 600); 1,500 used now: 300 left.
auth("surge: three times the usual 10 minutes of this hour, 25 used: 300 s left",
     acct(S, usage=[(w, "tf-1", 600) for w in weeks] + [(H, "tf-1", 1500)]), "2026-03-10T12:30:00Z", ok(300, "surge"), number="tf-1")
auth("surge: the burst at the limit is refused",
     acct(S, usage=[(w, "tf-1", 600) for w in weeks] + [(H, "tf-1", 1800)]), "2026-03-10T12:30:00Z", refused("surge"), number="tf-1")
# One week of 1,200 s: average over 4 weeks is 300, x3 = 900 > floor 600.
auth("surge with a short history: one week of 20 minutes averages 5 over four weeks, x3 = 900 s",
     acct(S, usage=[(weeks[0], "tf-1", 1200)]), "2026-03-10T12:30:00Z", ok(900, "surge"), number="tf-1")
auth("surge with no history: the floor, 10 minutes",
     acct(S), "2026-03-10T12:30:00Z", ok(600, "surge"), number="tf-1")
auth("surge: another number's history does not raise tf-1's limit",
     acct(S, usage=[(w, "tf-2", 3600) for w in weeks]), "2026-03-10T12:30:00Z", ok(600, "surge"), number="tf-1")
# 4 x 700: average 700, x2.5 = 1,750 < 1,800 to 13:00.
auth("surge: a decimal ratio, 2.5 x 700 s = 1,750 s",
     acct({"surge": {"ratio": "2.5", "floorMinutes": 10}}, usage=[(w, "tf-1", 700) for w in weeks]), "2026-03-10T12:30:00Z", ok(1750, "surge"), number="tf-1")
auth("surge: other hours of the week do not count (13:00 a week ago)",
     acct(S, usage=[("2026-03-03T13:00:00Z", "tf-1", 3600)]), "2026-03-10T12:30:00Z", ok(600, "surge"), number="tf-1")
# 12:55: 12:00's limit 1,800 covers the 300 s to 13:00; 13:00 has no history, so its floor 600: 300 + 600.
auth("surge: a call crossing the hour meets the next hour's own rule",
     acct(S, usage=[(w, "tf-1", 600) for w in weeks]), "2026-03-10T12:55:00Z", ok(900, "surge"), number="tf-1")
# New York: 16:30Z on 03-10 is 12:30 EDT; 12:00 local a week earlier (EST) is 03-03T17:00Z, not 16:00Z.
auth("surge across a DST change: the same local hour a week earlier is an hour later in UTC",
     acct(S, usage=[("2026-03-03T17:00:00Z", "tf-1", 1200), ("2026-03-03T16:00:00Z", "tf-1", 6000)], tz="America/New_York"),
     "2026-03-10T16:30:00Z", ok(900, "surge"), number="tf-1")
auth("surge: calls that name no number are one group of their own",
     acct(S, usage=[(w, None, 1200) for w in weeks] + [(H, "tf-1", 3600)]), "2026-03-10T12:30:00Z", ok(2400, "surge"))
auth("surge: outbound calls are not limited",
     acct(S, usage=[(H, None, 3600)]), "2026-03-10T12:30:00Z", ok(86400), direction="outbound", toll_free=False)

# The unnamed group's 12:00 averages 1,200 s, x3 = 3,600: the 1,800 s to 13:00 fit; 13:00 has no history, floor 600.
# (tf-1's 3,600 s this hour are another group's.)
# ---- live calls ----
def start(name, account, call, expect):
    V.append({"name": name, "op": "startCall", "input": {"rateCard": CARD, "account": account, "call": call}, "expect": expect})
start("startCall: the grant is cut at the hour's limit and is final",
      acct({"maxMinutesPerHour": 10}, usage=[(H, "tf-1", 480)]),
      {"id": "c1", "direction": "inbound", "tollFree": True, "numberId": "tf-1", "at": "2026-03-10T12:10:00Z"},
      {"allowed": True, "code": "ok", "grantedSeconds": 120, "finalQuota": True, "limit": "maxMinutesPerHour",
       "validUntil": "2026-03-10T12:13:00Z",
       "hold": {"id": "c1", "numberId": "tf-1", "grantedSeconds": 120, "credits": "22"}})
start("startCall: refused at the concurrency limit, nothing held",
      acct({"maxConcurrentCalls": 1}, holds=[hold("h1", "2026-03-10T12:05:00Z", 300)]),
      {"id": "c1", "direction": "inbound", "tollFree": True, "at": "2026-03-10T12:06:00Z"},
      {"allowed": False, "code": "inbound_limit", "action": "reject_inbound", "grantedSeconds": 0, "finalQuota": True,
       "hold": None, "limit": "maxConcurrentCalls", "error": {"code": "inbound_limit"},
       "account": {"holds": [{"id": "h1"}]}})
def extend(name, account, at, quota, expect):
    V.append({"name": name, "op": "extendCall", "input": {"rateCard": CARD, "account": account, "callId": "c1", "at": at, "quotaSeconds": quota}, "expect": expect})
own = [hold("c1", "2026-03-10T12:00:00Z", 300, number="tf-1")]
extend("extendCall: the call's own hold is not counted against it (600 s of 600)",
       acct({"maxMinutesPerHour": 10}, holds=own), "2026-03-10T12:04:00Z", 300,
       {"allowed": True, "grantedSeconds": 600, "finalQuota": False, "hold": {"grantedSeconds": 600, "credits": "110"}})
extend("extendCall: cut at 8 minutes an hour",
       acct({"maxMinutesPerHour": 8}, holds=own), "2026-03-10T12:04:00Z", 300,
       {"allowed": True, "grantedSeconds": 480, "finalQuota": True, "limit": "maxMinutesPerHour", "hold": {"grantedSeconds": 480, "credits": "88"}})
extend("extendCall: no seconds past the limit: refused, the call keeps what it holds and must end there",
       acct({"maxMinutesPerHour": 5}, holds=own), "2026-03-10T12:04:00Z", 300,
       {"allowed": False, "code": "inbound_limit", "action": "reject_inbound", "grantedSeconds": 300, "finalQuota": True,
        "limit": "maxMinutesPerHour", "hold": {"id": "c1", "grantedSeconds": 300}})
# Another live call, c2 at 12:02 + 180 s, holds 180 of tf-1's 600: this call may reach 420 (7 min x 11 = 77 credits).
extend("extendCall: another live call to the number counts against this one",
       acct({"perNumber": {"tf-1": {"maxMinutesPerHour": 10}}}, holds=own + [hold("c2", "2026-03-10T12:02:00Z", 180, number="tf-1")]),
       "2026-03-10T12:04:00Z", 300,
       {"allowed": True, "grantedSeconds": 420, "finalQuota": True, "limit": "perNumber.tf-1.maxMinutesPerHour",
        "hold": {"grantedSeconds": 420, "credits": "77"}})
def end(name, account, call_id, at, call, expect):
    V.append({"name": name, "op": "endCall", "input": {"rateCard": CARD, "account": account, "callId": call_id, "at": at, "call": call}, "expect": expect})
# 11:58 + 600 s: 120 s in 11:00-12:00, 480 s in 12:00-13:00.
end("endCall: connected seconds land in local hours from the call's start",
    acct(holds=[hold("c1", "2026-03-10T11:58:00Z", 600, number="tf-1")]), "c1", "2026-03-10T12:08:00Z", {"connectedSeconds": 600},
    {"account": {"inboundUsage": [{"hour": "2026-03-10T11:00:00Z", "numberId": "tf-1", "seconds": 120},
                                  {"hour": "2026-03-10T12:00:00Z", "numberId": "tf-1", "seconds": 480}]}})
# The 12:00 bucket grows from 100 to 160; the bucket of 2026-02-09 (29 days and 12 hours before) is dropped.
end("endCall: a bucket grows, and buckets older than 29 days are dropped",
    acct(usage=[("2026-02-09T00:00:00Z", "tf-1", 50), ("2026-02-10T12:00:00Z", "tf-1", 70), (H, "tf-1", 100)],
         holds=[hold("c1", "2026-03-10T12:05:00Z", 300, number="tf-1")]), "c1", "2026-03-10T12:06:00Z", {"connectedSeconds": 60},
    {"account": {"inboundUsage": [{"hour": "2026-02-10T12:00:00Z", "seconds": 70}, {"hour": H, "numberId": "tf-1", "seconds": 160}]}})
end("endCall: a call that held nothing counts under the number its end names",
    acct(), "c9", "2026-03-10T12:06:00Z",
    {"connectedSeconds": 90, "direction": "inbound", "tollFree": True, "numberId": "tf-3", "startedAt": "2026-03-10T12:04:00Z"},
    {"account": {"inboundUsage": [{"hour": H, "numberId": "tf-3", "seconds": 90}]}})

# ---- bad limits ----
def err(name, limits, code, field):
    V.append({"name": name, "op": "authorizeCall", "input": {"rateCard": CARD, "account": acct(limits), "call": {"direction": "inbound", "tollFree": True, "at": T}},
              "expectError": {"code": code, "field": field}})
err("bad limits: a surge ratio below 1", {"surge": {"ratio": "0.5", "floorMinutes": 10}}, "invalid_value", "account.inboundLimits.surge.ratio")
err("bad limits: a number's own surge rule", {"perNumber": {"tf-1": {"surge": {"ratio": "2", "floorMinutes": 1}}}}, "invalid_value", "account.inboundLimits.perNumber.tf-1.surge")
err("bad limits: minutes as text", {"maxMinutesPerHour": "60"}, "invalid_count", "account.inboundLimits.maxMinutesPerHour")
err("bad limits: an unknown field", {"maxMinutesPerWeek": 60}, "unknown_field", "account.inboundLimits.maxMinutesPerWeek")
err("bad limits: a fractional concurrency", {"maxConcurrentCalls": 1.5}, "invalid_count", "account.inboundLimits.maxConcurrentCalls")
V.append({"name": "bad call: an empty numberId", "op": "startCall",
          "input": {"rateCard": CARD, "account": acct(), "call": {"id": "c1", "direction": "inbound", "tollFree": True, "numberId": "", "at": T}},
          "expectError": {"code": "invalid_id", "field": "call.numberId"}})
V.append({"name": "bad call: a numberId past 255 characters", "op": "authorizeCall",
          "input": {"rateCard": CARD, "account": acct(), "call": {"direction": "inbound", "tollFree": True, "numberId": "n" * 256, "at": T}},
          "expectError": {"code": "invalid_id", "field": "call.numberId"}})
print(len(V))
import os
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "inbound_limits.json")
json.dump(V, open(out, "w"), indent=1)
open(out, "a").write("\n")
