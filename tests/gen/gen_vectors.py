"""Writes tests/vectors/*.json. Quote grids take their expected numbers from oracle.py
(an independent Fraction implementation of the spec); every other expectation below is
worked out by hand from SEMANTICS.md and written as a literal. Run: python3 gen_vectors.py"""
import copy, json, os
from oracle import billable, per_minute, round_frac, F

OUT = os.path.join(os.path.dirname(__file__), "..", "vectors")

CARD = {"currency": "USD", "creditsPerUnit": "100",
        "rounding": {"mode": "half_up", "creditDecimals": 4},
        "voice": {"perMinute": "9", "increment": "60/60", "connectFee": "0"},
        "tollFreeSurcharge": {"perMinute": "2"},
        "transfer": {"perMinute": "6", "increment": "60/60"},
        "chat": {"perMessage": "0.5"},
        "numbers": {"local": {"monthly": "150"}, "toll_free": {"monthly": "500"}}}
PLAN = {"id": "growth", "name": "Growth", "monthlyFee": "99.00", "includedMinutes": 10,
        "overagePerMinute": "7", "includedCredits": "0", "rolloverCap": "0"}
T0 = "2026-03-10T12:00:00Z"


def card(**kw):
    c = copy.deepcopy(CARD)
    for k, v in kw.items():
        c[k] = v
    return c


def call(secs, direction="outbound", **kw):
    c = {"direction": direction, "connectedSeconds": secs}
    c.update(kw)
    return c


def grant(id, remaining, type="prepaid", **kw):
    g = {"id": id, "type": type, "remaining": remaining, "priority": 50,
         "effectiveAt": "2026-01-01T00:00:00Z", "expiresAt": None, "createdAt": "2026-01-01T00:00:00Z"}
    g.update(kw)
    return g


def account(grants, **kw):
    a = {"timeZone": "UTC", "plan": None, "grants": grants, "owed": "0"}
    a.update(kw)
    return a


def chat(id, messages, at=T0, agent=None):
    u = {"id": id, "at": at, "kind": "chat", "messages": messages}
    if agent:
        u["agentId"] = agent
    return u


def vcall(id, c, at=T0, agent=None):
    u = {"id": id, "at": at, "kind": "call", "call": c}
    if agent:
        u["agentId"] = agent
    return u


def v(name, op, input, expect=None, error=None):
    d = {"name": name, "op": op, "input": input}
    if error is not None:
        d["expectError"] = {"code": error} if isinstance(error, str) else error
    else:
        d["expect"] = expect
    return d


def write(name, vectors):
    names = [x["name"] for x in vectors]
    assert len(names) == len(set(names)), name
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(vectors, f, indent=1)
        f.write("\n")
    return len(vectors)


# ---------------------------------------------------------------- seeds
seeds = [
    v("seed 000: a $10 top-up is 1,000 credits (auto-reload of $10)", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("w", "100")], autoReload={
          "enabled": True, "threshold": "5.00", "amount": "10.00", "paymentMethod": "pm_1"}),
       "usage": [chat("m1", 1)]},
      {"reloads": [{"at": T0, "amount": "10.00", "credits": "1000", "multiple": 1, "settledOwed": "0"}],
       "balanceBefore": "100", "balanceAfter": "1099.5"}),
    v("seed 000: toll-free inbound adds 2 credits per billable minute", "quoteCall",
      {"rateCard": CARD, "call": call(120, "inbound", tollFree=True)},
      {"totalCredits": "22", "lines": [
          {"code": "voice.ai_minutes", "quantity": "120", "credits": "18"},
          {"code": "voice.toll_free_surcharge", "quantity": "120", "rate": "2", "credits": "4", "bucket": "none"}]}),
    v("seed 000: toll-free surcharge is the same on a plan and never covered by included minutes", "quoteCall",
      {"rateCard": CARD, "plan": PLAN, "call": call(120, "inbound", tollFree=True)},
      {"totalCredits": "4", "lines": [
          {"code": "voice.included_minutes", "quantity": "120", "credits": "0"},
          {"code": "voice.toll_free_surcharge", "quantity": "120", "credits": "4"}]}),
    v("seed 001: 7,200 s at EUR 0.07/min per-second is 840 credits, EUR 8.40", "quoteCall",
      {"rateCard": {"currency": "EUR", "creditsPerUnit": "100", "voice": {"perMinute": "7", "increment": "1/1"}},
       "call": call(7200)},
      {"totalCredits": "840", "totalMoney": {"amount": "8.40", "currency": "EUR"},
       "lines": [{"code": "voice.ai_minutes", "channel": "voice", "quantity": "7200", "unit": "second", "rate": "7", "credits": "840.0000"}]}),
    v("seed 001: 84 s at EUR 0.07/min per-second is 9.8 credits", "quoteCall",
      {"rateCard": {"currency": "EUR", "creditsPerUnit": "100", "voice": {"perMinute": "7", "increment": "1/1"}},
       "call": call(84)},
      {"totalCredits": "9.8000", "totalMoney": {"amount": "0.10", "currency": "EUR"}}),
    v("seed 001: outbound at zero balance answers 402 insufficient_credits", "authorizeCall",
      {"rateCard": CARD, "account": account([]), "call": {"direction": "outbound", "at": T0}},
      {"allowed": False, "code": "insufficient_credits", "maxSeconds": 0, "httpStatus": 402,
       "error": {"code": "insufficient_credits",
                 "message": "Insufficient credits to make outbound call. Please add credits in your billing dashboard."}}),
    v("seed 001: inbound at zero balance is rejected with an error message", "authorizeCall",
      {"rateCard": CARD, "account": account([]), "call": {"direction": "inbound", "at": T0}},
      {"allowed": False, "code": "insufficient_credits", "maxSeconds": 0, "action": "reject_inbound"}),
    v("seed 002: plan credits are used first, then the wallet", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("wallet", "100"), grant("pc", "20", "plan", priority=1)]),
       "usage": [chat("m", 50)]},
      {"items": [{"id": "m", "status": "charged", "lines": [{"code": "chat.message", "credits": "25",
        "allocations": [{"source": "plan_credits", "grantId": "pc", "credits": "20"}, {"source": "wallet", "credits": "5"}],
        "uncovered": "0"}]}],
       "grants": [{"id": "wallet", "remaining": "95"}, {"id": "pc", "remaining": "0"}]}),
    v("seed 000: the auto-reload example body validates with a payment method", "validateAutoReload",
      {"settings": {"enabled": True, "thresholdUsd": 20, "amountUsd": 50, "paymentMethod": "pm_card"}, "rateCard": CARD},
      {"valid": True, "errors": []}),
    v("seed 002: auto-recharge without a saved payment method fails validation", "validateAutoReload",
      {"settings": {"enabled": True, "threshold": "20", "amount": "50"}, "rateCard": CARD},
      {"valid": False, "errors": [{"field": "settings.paymentMethod", "code": "payment_method_required"}]}),
]

# ---------------------------------------------------------------- quote grids (oracle)
quote = []
MODES = ["half_up", "half_even", "up", "down"]
INCS = [("1/1", 1, 1), ("60/60", 60, 60), ("30/6", 30, 6), ("60/1", 60, 1), ("6/6", 6, 6)]
for mode in MODES:
    for inc, first, nxt in INCS:
        for d in (0, 7, 61, 3601):
            rate, dp = "0.0833", 2
            b = billable(d, first, nxt)
            exp_lines = [] if b == 0 else [{"code": "voice.ai_minutes", "quantity": str(b),
                                             "increment": inc, "credits": per_minute(b, rate, dp, mode)}]
            total = per_minute(b, rate, dp, mode) if b else "0"
            quote.append(v(f"{inc} increment, {d} s, {mode}, rate {rate}/min at {dp} dp", "quoteCall",
                           {"rateCard": {"currency": "USD", "creditsPerUnit": "100",
                                         "rounding": {"mode": mode, "creditDecimals": dp},
                                         "voice": {"perMinute": rate, "increment": inc}},
                            "call": call(d)},
                           {"lines": exp_lines, "totalCredits": total}))
# Exact midpoints: 1 s and 3 s at 30 credits/min are 0.5 and 1.5 credits.
for secs in (1, 3, 5):
    for mode in MODES:
        exp = round_frac(F(secs * 30, 60), 0, mode)
        quote.append(v(f"midpoint {secs * 30 / 60} credits rounds {mode} to {exp}", "quoteCall",
                       {"rateCard": {"currency": "USD", "creditsPerUnit": "100",
                                     "rounding": {"mode": mode, "creditDecimals": 0},
                                     "voice": {"perMinute": "30", "increment": "1/1"}}, "call": call(secs)},
                       {"totalCredits": exp}))
quote += [
    v("rounding happens once per line, not per increment (7 x 61 s at 1/1, 0.01/min)", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "rounding": {"creditDecimals": 2},
                    "voice": {"perMinute": "0.01", "increment": "1/1"}}, "call": call(427)},
      {"totalCredits": "0.07"}),
    v("a non-terminating quotient rounds exactly (100 s at 1/min = 1.6666...)", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "voice": {"perMinute": "1"}}, "call": call(100)},
      {"totalCredits": "1.6667"}),
    v("default increment is 1/1 and default rounding half_up at 4 decimals", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "voice": {"perMinute": "9"}}, "call": call(61)},
      {"lines": [{"code": "voice.ai_minutes", "quantity": "61", "increment": "1/1", "credits": "9.1500"}]}),
    v("connect fee is charged once per connected call", "quoteCall",
      {"rateCard": card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "1.5"}), "call": call(61)},
      {"totalCredits": "19.5", "lines": [{"code": "voice.ai_minutes", "credits": "18"},
                                          {"code": "voice.connect_fee", "quantity": "1", "unit": "call", "credits": "1.5"}]}),
    v("no connect fee on a call that never connected", "quoteCall",
      {"rateCard": card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "1.5"}), "call": call(0)},
      {"totalCredits": "0", "lines": []}),
    v("toll-free outbound carries no surcharge", "quoteCall",
      {"rateCard": CARD, "call": call(120, "outbound", tollFree=True)},
      {"totalCredits": "18", "lines": [{"code": "voice.ai_minutes"}]}),
    # SEMANTICS 3 (this turn): no implicit toll-free surcharge; a default in credits would be
    # $2/min on a card where 1 credit = $1.
    v("a toll-free inbound call on a card without tollFreeSurcharge is missing_rate", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "voice": {"perMinute": "9", "increment": "60/60"}},
       "call": call(61, "inbound", tollFree=True)},
      error={"code": "missing_rate", "field": "rateCard.tollFreeSurcharge"}),
    v("no default surcharge on a card where 1 credit = $1", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "1", "voice": {"perMinute": "0.09", "increment": "60/60"}},
       "call": call(60, "inbound", tollFree=True)},
      error={"code": "missing_rate", "field": "rateCard.tollFreeSurcharge"}),
    v("a toll-free outbound call needs no surcharge on the card", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "voice": {"perMinute": "9", "increment": "60/60"}},
       "call": call(61, "outbound", tollFree=True)},
      {"totalCredits": "18", "lines": [{"code": "voice.ai_minutes"}]}),
    v("an inbound call that is not toll-free needs no surcharge on the card", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "voice": {"perMinute": "9", "increment": "60/60"}},
       "call": call(61, "inbound")},
      {"totalCredits": "18"}),
    v("a surcharge of 0 is a stated rate, not a missing one", "quoteCall",
      {"rateCard": card(tollFreeSurcharge={"perMinute": "0"}), "call": call(61, "inbound", tollFree=True)},
      {"totalCredits": "18", "lines": [{"code": "voice.ai_minutes"}, {"code": "voice.toll_free_surcharge", "credits": "0"}]}),
    v("a carrier's 0.013 USD pass-through is 1.3 credits, at cost", "quoteCall",
      {"rateCard": CARD, "call": call(60, carrierPassThrough=[{"amount": "0.013"}])},
      {"totalCredits": "10.3", "lines": [{"code": "voice.ai_minutes", "credits": "9"},
                                         {"code": "voice.carrier_pass_through", "quantity": "0.013", "credits": "1.3"}]}),
    v("a 6-decimal pass-through rounds once on its line", "quoteCall",
      {"rateCard": CARD, "call": call(60, carrierPassThrough=[{"amount": "0.004567"}])},
      {"lines": [{"code": "voice.ai_minutes"}, {"code": "voice.carrier_pass_through", "quantity": "0.004567", "credits": "0.4567"}]}),
    v("a 6-decimal pass-through rounds half up at the credit decimals", "quoteCall",
      {"rateCard": card(creditsPerUnit="1"), "call": call(60, carrierPassThrough=[{"amount": "0.000050"}])},
      {"lines": [{"code": "voice.ai_minutes"}, {"code": "voice.carrier_pass_through", "credits": "0.0001"}]}),
    v("a yen pass-through takes fractions of a yen", "quoteCall",
      {"rateCard": card(currency="JPY", creditsPerUnit="1"), "call": call(60, carrierPassThrough=[{"amount": "0.45"}])},
      {"lines": [{"code": "voice.ai_minutes"}, {"code": "voice.carrier_pass_through", "credits": "0.45"}]}),
    v("toll-free surcharge follows the voice increment's billable seconds", "quoteCall",
      {"rateCard": card(voice={"perMinute": "6", "increment": "30/6"}), "call": call(31, "inbound", tollFree=True)},
      {"lines": [{"code": "voice.ai_minutes", "quantity": "36", "credits": "3.6"},
                 {"code": "voice.toll_free_surcharge", "quantity": "36", "credits": "1.2"}]}),
    v("carrier pass-through is converted at cost with no markup", "quoteCall",
      {"rateCard": CARD, "call": call(60, "inbound", tollFree=True,
                                      carrierPassThrough=[{"amount": "0.25", "reason": "payphone_origination"}])},
      {"totalCredits": "36", "lines": [{"code": "voice.ai_minutes", "credits": "9"},
                                        {"code": "voice.toll_free_surcharge", "credits": "2"},
                                        {"code": "voice.carrier_pass_through", "quantity": "0.25", "unit": "USD",
                                         "rate": "100", "credits": "25", "reason": "payphone_origination"}]}),
    v("several pass-through costs each get a line", "quoteCall",
      {"rateCard": CARD, "call": call(0, "inbound", tollFree=True,
                                     carrierPassThrough=[{"amount": "0.10"}, {"amount": "1.05"}])},
      {"totalCredits": "115", "lines": [{"credits": "10"}, {"credits": "105"}]}),
    v("pass-through with a fractional credits-per-unit rounds once", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "33.333", "rounding": {"creditDecimals": 2}},
       "call": call(0, carrierPassThrough=[{"amount": "0.07"}])},
      {"totalCredits": "2.33", "totalMoney": {"amount": "0.07"}}),
    v("transfer minutes bill the whole bridged time at the transfer rate", "quoteCall",
      {"rateCard": CARD, "call": call(60, transfer={"bridgedSeconds": 301})},
      {"totalCredits": "45", "lines": [{"code": "voice.ai_minutes", "credits": "9"},
                                        {"code": "transfer_minute", "channel": "transfer_minute", "quantity": "360",
                                         "increment": "60/60", "rate": "6", "credits": "36", "bucket": "none"}]}),
    v("transfer minutes are never covered by included minutes", "quoteCall",
      {"rateCard": CARD, "plan": PLAN, "call": call(60, transfer={"bridgedSeconds": 60})},
      {"totalCredits": "6", "lines": [{"code": "voice.included_minutes", "quantity": "60"},
                                       {"code": "transfer_minute", "credits": "6"}]}),
    v("a transfer of zero bridged seconds adds no line", "quoteCall",
      {"rateCard": CARD, "call": call(60, transfer={"bridgedSeconds": 0})},
      {"lines": [{"code": "voice.ai_minutes"}]}),
    v("plan covers the call fully: one included-minutes line of 0 credits", "quoteCall",
      {"rateCard": CARD, "plan": PLAN, "call": call(125)},
      {"totalCredits": "0", "lines": [{"code": "voice.included_minutes", "quantity": "180", "rate": "0",
                                        "credits": "0", "bucket": "ai_minutes"}]}),
    v("plan split: covered seconds draw the allowance, the rest at the overage rate", "quoteCall",
      {"rateCard": CARD, "plan": PLAN, "includedSecondsRemaining": 90, "call": call(150)},
      {"totalCredits": "10.5", "lines": [{"code": "voice.included_minutes", "quantity": "90"},
                                          {"code": "voice.ai_minutes", "quantity": "90", "rate": "7", "credits": "10.5"}]}),
    v("plan split after a 1/1 increment", "quoteCall",
      {"rateCard": card(voice={"perMinute": "9", "increment": "1/1"}), "plan": PLAN,
       "includedSecondsRemaining": 100, "call": call(130)},
      {"totalCredits": "3.5", "lines": [{"quantity": "100"}, {"quantity": "30", "credits": "3.5"}]}),
    v("a plan without an overage rate keeps the card's voice rate", "quoteCall",
      {"rateCard": CARD, "plan": {"id": "p", "includedMinutes": 1}, "call": call(120)},
      {"totalCredits": "9", "lines": [{"quantity": "60"}, {"quantity": "60", "rate": "9"}]}),
    v("with no included seconds left the overage rate replaces the voice rate", "quoteCall",
      {"rateCard": CARD, "plan": PLAN, "includedSecondsRemaining": 0, "call": call(60)},
      {"totalCredits": "7", "lines": [{"code": "voice.ai_minutes", "rate": "7"}]}),
    v("JPY money has no minor unit", "quoteCall",
      {"rateCard": {"currency": "JPY", "creditsPerUnit": "1", "voice": {"perMinute": "15"}}, "call": call(100)},
      {"totalCredits": "25", "totalMoney": {"amount": "25", "currency": "JPY"}}),
    v("KWD money has three decimals", "quoteCall",
      {"rateCard": {"currency": "KWD", "creditsPerUnit": "1000", "voice": {"perMinute": "7"}}, "call": call(7)},
      {"totalCredits": "0.8167", "totalMoney": {"amount": "0.001", "currency": "KWD"}}),
    v("money rounds with the card's mode (down)", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "rounding": {"mode": "down"},
                    "voice": {"perMinute": "1"}}, "call": call(119)},
      {"totalCredits": "1.9833", "totalMoney": {"amount": "0.01"}}),
    v("integer JSON amounts within 2^53-1 are accepted", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": 100, "voice": {"perMinute": 9, "increment": "60/60"}},
       "call": call(60)},
      {"totalCredits": "9"}),
    v("credit decimals 0", "quoteCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100", "rounding": {"creditDecimals": 0},
                    "voice": {"perMinute": "7"}}, "call": call(100)},
      {"totalCredits": "12", "lines": [{"credits": "12"}]}),
]

# ---------------------------------------------------------------- drawdown
def prev(name, grants, usage, expect, **acct):
    return v(name, "previewDrawdown", {"rateCard": CARD, "account": account(grants, **acct), "usage": usage}, expect)

def alloc_of(item_lines):
    return {"items": [{"lines": item_lines}]}

drawdown = [
    prev("burn order: lower priority burns first", [grant("g1", "100"), grant("g2", "100", "promotional", priority=10)],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "g2", "credits": "5"}], "uncovered": "0"}])),
    prev("burn order: equal priority, soonest expiry first", [
        grant("a", "100", "promotional", expiresAt="2026-06-01T00:00:00Z"),
        grant("b", "100", "promotional", expiresAt="2026-05-01T00:00:00Z")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "b", "credits": "5"}]}])),
    prev("burn order: a grant without expiry burns after expiring ones (FEFO)", [
        grant("a", "100"), grant("b", "100", expiresAt="2027-01-01T00:00:00Z")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "b", "credits": "5"}]}])),
    prev("burn order: promotional, then committed, then prepaid", [
        grant("p", "100"), grant("c", "100", "committed"), grant("r", "100", "promotional")],
         [chat("m", 300)], alloc_of([{"credits": "150", "allocations": [
             {"source": "r", "credits": "100"}, {"source": "c", "credits": "50"}]}])),
    prev("burn order: then earlier createdAt", [
        grant("late", "100", createdAt="2026-02-01T00:00:00Z"), grant("early", "100", createdAt="2026-01-15T00:00:00Z")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "early"}]}])),
    prev("burn order: last tie broken by id", [grant("b", "100"), grant("a", "100")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "a"}]}])),
    prev("burn order: priority beats expiry", [
        grant("soon", "100", expiresAt="2026-04-01T00:00:00Z", priority=60), grant("later", "100", priority=40)],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "later"}]}])),
    prev("expiry is exclusive: a grant expiring at the usage instant is not used", [
        grant("exp", "100", "promotional", expiresAt=T0), grant("w", "100")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "w", "credits": "5"}]}])),
    prev("a grant expiring one second after the usage is used", [
        grant("exp", "100", "promotional", expiresAt="2026-03-10T12:00:01Z"), grant("w", "100")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "exp", "credits": "5"}]}])),
    prev("effectiveAt is inclusive", [grant("new", "100", "promotional", effectiveAt=T0), grant("w", "100")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "new"}]}])),
    prev("a grant not yet effective is not used", [
        grant("future", "100", "promotional", effectiveAt="2026-03-10T12:00:01Z"), grant("w", "100")],
         [chat("m", 10)], alloc_of([{"allocations": [{"source": "w"}]}])),
    prev("one line can span several grants; allocations plus uncovered equal its credits", [
        grant("a", "3", "promotional"), grant("b", "1.25")],
         [chat("m", 10)], {"items": [{"lines": [{"credits": "5", "allocations": [
             {"source": "a", "credits": "3"}, {"source": "b", "credits": "1.25"}], "uncovered": "0.75"}]}],
                           "owed": "0.75", "balanceAfter": "-0.75"}),
    prev("what no credit covers is owed, never lost", [grant("w", "3")], [chat("m", 10)],
         {"items": [{"lines": [{"allocations": [{"source": "w", "credits": "3"}], "uncovered": "2"}]}],
          "owed": "2", "balanceBefore": "3", "balanceAfter": "-2"}),
    prev("existing owed adds to new uncovered usage", [], [chat("m", 2)],
         {"owed": "6", "balanceBefore": "-5", "balanceAfter": "-6"}, owed="5"),
    prev("plan split in a preview: included seconds are an allocation, the overage draws the wallet",
         [grant("w", "100")], [vcall("c", call(150))],
         {"items": [{"lines": [
             {"code": "voice.included_minutes", "quantity": "90", "allocations": [{"source": "included_minutes", "seconds": 90}]},
             {"code": "voice.ai_minutes", "quantity": "90", "credits": "10.5", "allocations": [{"source": "w", "credits": "10.5"}]}]}],
          "includedSecondsRemaining": 0, "balanceAfter": "89.5"}, plan=PLAN, includedSecondsRemaining=90),
    prev("included seconds carry across calls in time order", [grant("w", "100")],
         [vcall("c2", call(60), at="2026-03-10T13:00:00Z"), vcall("c1", call(500))],
         {"items": [{"id": "c1", "lines": [{"code": "voice.included_minutes", "quantity": "540"}]},
                    {"id": "c2", "lines": [{"code": "voice.included_minutes", "quantity": "60"}]}],
          "includedSecondsRemaining": 0}, plan=PLAN),
    prev("toll-free surcharge draws credits even while included minutes cover the AI time",
         [grant("w", "100")], [vcall("c", call(120, "inbound", tollFree=True))],
         {"items": [{"lines": [{"code": "voice.included_minutes"},
                               {"code": "voice.toll_free_surcharge", "allocations": [{"source": "w", "credits": "4"}]}]}],
          "includedSecondsRemaining": 480}, plan=PLAN),
    prev("transfer minutes draw credits while included minutes cover the AI time",
         [grant("w", "100")], [vcall("c", call(60, transfer={"bridgedSeconds": 300}))],
         {"items": [{"lines": [{"code": "voice.included_minutes"},
                               {"code": "transfer_minute", "credits": "30", "allocations": [{"source": "w", "credits": "30"}]}]}],
          "balanceAfter": "70"}, plan=PLAN),
    prev("plan credits cover the toll-free surcharge before the wallet",
         [grant("w", "100"), grant("pc", "3", "plan")], [vcall("c", call(120, "inbound", tollFree=True))],
         {"items": [{"lines": [{"code": "voice.included_minutes"}, {"code": "voice.toll_free_surcharge", "allocations": [
             {"source": "plan_credits", "grantId": "pc", "credits": "3"}, {"source": "w", "credits": "1"}]}]}]}, plan=PLAN),
    prev("agent set to stop is refused once the plan is exhausted", [grant("w", "100")],
         [chat("m", 10, agent="a1")],
         {"items": [{"id": "m", "status": "refused", "reason": "plan_exhausted", "lines": []}], "balanceAfter": "100"},
         plan=PLAN, includedSecondsRemaining=0, agents={"a1": {"onPlanExhausted": "stop"}}),
    prev("agent set to use_balance goes on with the wallet once the plan is exhausted", [grant("w", "100")],
         [vcall("c", call(60), agent="a1")],
         {"items": [{"status": "charged", "lines": [{"code": "voice.ai_minutes", "rate": "7", "allocations": [{"source": "w", "credits": "7"}]}]}]},
         plan=PLAN, includedSecondsRemaining=0, agents={"a1": {"onPlanExhausted": "use_balance"}}),
    prev("agent set to stop with plan minutes left is charged", [grant("w", "100")],
         [vcall("c", call(60), agent="a1")],
         {"items": [{"status": "charged", "lines": [{"code": "voice.included_minutes"}]}]},
         plan=PLAN, agents={"a1": {"onPlanExhausted": "stop"}}),
    prev("agent at its monthly limit with stop is refused", [grant("w", "100")],
         [chat("m", 1, agent="a1")],
         {"items": [{"status": "refused", "reason": "agent_limit_reached"}]},
         agents={"a1": {"onPlanExhausted": "stop", "monthlyLimit": "50", "spentThisCycle": "50"}}),
    prev("agent at its monthly limit with use_balance skips the plan and uses the wallet", [grant("w", "100")],
         [vcall("c", call(60), agent="a1")],
         {"items": [{"status": "charged", "lines": [{"code": "voice.ai_minutes", "rate": "7", "credits": "7"}]}],
          "includedSecondsRemaining": 600},
         plan=PLAN, agents={"a1": {"onPlanExhausted": "use_balance", "monthlyLimit": "10", "spentThisCycle": "12"}}),
    prev("an agent reaches its limit during the preview", [grant("w", "100")],
         [chat("m1", 10, agent="a1"), chat("m2", 10, agent="a1", at="2026-03-10T12:01:00Z"),
          chat("m3", 10, agent="a1", at="2026-03-10T12:02:00Z"), chat("other", 10, agent="a2", at="2026-03-10T12:03:00Z")],
         {"items": [{"id": "m1", "status": "charged"}, {"id": "m2", "status": "charged"},
                    {"id": "m3", "status": "refused", "reason": "agent_limit_reached"}, {"id": "other", "status": "charged"}],
          "agentSpend": {"a1": "10", "a2": "5"}, "balanceAfter": "85"},
         agents={"a1": {"onPlanExhausted": "stop", "monthlyLimit": "10"}}),
    prev("an unknown agent uses the defaults (use_balance, no limit)", [grant("w", "100")],
         [chat("m", 10, agent="ghost")], {"items": [{"status": "charged"}], "agentSpend": {"ghost": "5"}},
         plan=PLAN, includedSecondsRemaining=0, agents={"a1": {"onPlanExhausted": "stop"}}),
    prev("auto-reload: smallest multiple that closes the gap (Lago)", [grant("w", "1000")],
         [chat("m", 1800)],
         {"reloads": [{"amount": "20.00", "credits": "2000", "multiple": 4}], "balanceAfter": "2100"},
         autoReload={"enabled": True, "threshold": "20", "amount": "5", "paymentMethod": "pm"}),
    prev("auto-reload does not fire when the balance lands exactly on the threshold", [grant("w", "2100")],
         [chat("m", 200)], {"reloads": [], "balanceAfter": "2000"},
         autoReload={"enabled": True, "threshold": "20", "amount": "5", "paymentMethod": "pm"}),
    prev("auto-reload fires one credit-ten-thousandth below the threshold", [grant("w", "2000.0001")],
         [chat("m", "0")], {"reloads": []},
         autoReload={"enabled": True, "threshold": "20", "amount": "5", "paymentMethod": "pm"}),
    prev("auto-reload settles what is owed first", [grant("w", "10")], [chat("m", 100)],
         {"items": [{"lines": [{"uncovered": "40"}]}],
          "reloads": [{"credits": "1000", "multiple": 1, "settledOwed": "40"}],
          "grants": [{"id": "w", "remaining": "0"}, {"id": "reload-1", "remaining": "960"}],
          "owed": "0", "balanceAfter": "960"},
         autoReload={"enabled": True, "threshold": "5.00", "amount": "10.00", "paymentMethod": "pm"}),
    prev("auto-reload respects maxReloadsPerDay", [grant("w", "600")],
         [chat("m1", 400), chat("m2", 2200, at="2026-03-10T18:00:00Z")],
         {"reloads": [{"at": T0, "multiple": 1}], "balanceAfter": "300"},
         autoReload={"enabled": True, "threshold": "5", "amount": "10", "paymentMethod": "pm", "maxReloadsPerDay": 1}),
    prev("maxReloadsPerDay counts days in the account time zone", [grant("w", "600")],
         [chat("m1", 400, at="2026-03-01T15:00:00Z"), chat("m2", 2200, at="2026-03-01T16:30:00Z")],
         {"reloads": [{"at": "2026-03-01T15:00:00Z"}, {"at": "2026-03-01T16:30:00Z"}]},
         timeZone="Asia/Singapore",
         autoReload={"enabled": True, "threshold": "5", "amount": "10", "paymentMethod": "pm", "maxReloadsPerDay": 1}),
    prev("auto-reload without a payment method does nothing", [grant("w", "100")], [chat("m", 100)],
         {"reloads": [], "balanceAfter": "50"},
         autoReload={"enabled": True, "threshold": "5", "amount": "10"}),
    prev("disabled auto-reload does nothing", [grant("w", "100")], [chat("m", 100)],
         {"reloads": []}, autoReload={"enabled": False, "threshold": "5", "amount": "10", "paymentMethod": "pm"}),
    prev("alerts: state changes emit events, repeats do not", [grant("w", "1200")],
         [chat("a", 600), chat("b", 2, at="2026-03-10T12:01:00Z"), chat("c", 998, at="2026-03-10T12:02:00Z"),
          chat("d", 700, at="2026-03-10T12:03:00Z")],
         {"alerts": [{"at": T0, "from": "ok", "to": "info", "balance": "900"},
                     {"at": "2026-03-10T12:02:00Z", "from": "info", "to": "warning", "balance": "400"},
                     {"at": "2026-03-10T12:03:00Z", "from": "warning", "to": "in_alarm", "balance": "50"}]},
         alerts={"info": {"threshold": "1000", "direction": "below"}, "warning": {"threshold": "500", "direction": "below"},
                 "critical": {"threshold": "100", "direction": "below"}}),
    prev("alerts: a reload lifts the state back to ok", [grant("w", "150")], [chat("m", 200)],
         {"alerts": [{"from": "info", "to": "ok", "balance": "1050"}], "reloads": [{"multiple": 1}]},
         alerts={"info": {"threshold": "200"}}, autoReload={"enabled": True, "threshold": "1", "amount": "10", "paymentMethod": "pm"}),
    prev("alerts: a given current state is the starting point", [grant("w", "5000")], [chat("m", 2)],
         {"alerts": [{"from": "in_alarm", "to": "ok"}]},
         alerts={"critical": {"threshold": "100"}, "state": "in_alarm"}),
    prev("number rental: one monthly period", [grant("w", "1000")],
         [{"id": "n", "at": T0, "kind": "number", "numberKind": "toll_free"}],
         {"items": [{"id": "n", "lines": [{"code": "number.rental", "channel": "number", "quantity": "1",
                                           "unit": "number_month", "credits": "500"}]}], "balanceAfter": "500"}),
    prev("number rental: several numbers", [grant("w", "1000")],
         [{"id": "n", "at": T0, "kind": "number", "numberKind": "local", "count": 3}],
         {"items": [{"lines": [{"quantity": "3", "credits": "450"}]}]}),
    prev("number rental anchored on the 31st falls on each month's last day", [grant("w", "1000")],
         [{"id": "n", "at": "2026-01-31T00:00:00Z", "kind": "number", "numberKind": "local", "through": "2026-05-01T00:00:00Z"}],
         {"items": [{"id": "n", "period": 1, "at": "2026-01-31T00:00:00Z"}, {"id": "n", "period": 2, "at": "2026-02-28T00:00:00Z"},
                    {"id": "n", "period": 3, "at": "2026-03-31T00:00:00Z"}, {"id": "n", "period": 4, "at": "2026-04-30T00:00:00Z"}],
          "balanceAfter": "400"}),
    prev("number rental periods keep local time across DST (America/New_York)", [grant("w", "1000")],
         [{"id": "n", "at": "2026-01-31T10:00:00-05:00", "kind": "number", "numberKind": "local", "through": "2026-04-01T00:00:00Z"}],
         {"items": [{"at": "2026-01-31T15:00:00Z"}, {"at": "2026-02-28T15:00:00Z"}, {"at": "2026-03-31T14:00:00Z"}]},
         timeZone="America/New_York"),
    prev("number rental in a leap year falls on Feb 29", [grant("w", "1000")],
         [{"id": "n", "at": "2028-01-30T00:00:00Z", "kind": "number", "numberKind": "local", "through": "2028-03-01T00:00:00Z"}],
         {"items": [{"at": "2028-01-30T00:00:00Z"}, {"at": "2028-02-29T00:00:00Z"}]}),
    prev("number rental through excludes a period starting at the end", [grant("w", "1000")],
         [{"id": "n", "at": "2026-01-15T00:00:00Z", "kind": "number", "numberKind": "local", "through": "2026-02-15T00:00:00Z"}],
         {"items": [{"period": 1}]}),
    prev("number rental prorated by days to the cycle anchor", [grant("w", "1000")],
         [{"id": "n", "at": "2026-03-11T00:00:00Z", "kind": "number", "numberKind": "local", "prorate": True,
           "through": "2026-05-01T00:00:00Z"}],
         {"items": [{"at": "2026-03-11T00:00:00Z", "lines": [{"credits": "101.6129"}]},
                    {"at": "2026-04-01T00:00:00Z", "lines": [{"credits": "150"}]}]},
         cycle={"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}),
    prev("prorated days count in the account time zone", [grant("w", "1000")],
         [{"id": "n", "at": "2026-03-30T20:00:00Z", "kind": "number", "numberKind": "local", "prorate": True}],
         {"items": [{"lines": [{"credits": "4.8387"}]}]},
         timeZone="Asia/Singapore", cycle={"start": "2026-02-28T16:00:00Z", "end": "2026-03-31T16:00:00Z"}),
    prev("usage after the cycle end renews included minutes", [grant("w", "100")],
         [vcall("c", call(60), at="2026-04-02T00:00:00Z")],
         {"items": [{"lines": [{"code": "voice.included_minutes", "quantity": "60"}]}], "includedSecondsRemaining": 540},
         plan=PLAN, includedSecondsRemaining=0, cycle={"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}),
    prev("unused plan credits roll over up to the cap", [grant("w", "100"),
         grant("pc", "50", "plan", effectiveAt="2026-03-01T00:00:00Z", expiresAt="2026-04-01T00:00:00Z")],
         [chat("m", 10, at="2026-04-02T00:00:00Z")],
         {"items": [{"lines": [{"allocations": [{"source": "plan_credits", "grantId": "plan-credits@2026-04-01T00:00:00Z", "credits": "5"}]}]}],
          "grants": [{"id": "w", "remaining": "100"}, {"id": "pc", "remaining": "0"},
                     {"id": "plan-credits@2026-04-01T00:00:00Z", "remaining": "125"}]},
         plan=dict(PLAN, includedCredits="100", rolloverCap="30"),
         cycle={"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}),
    prev("agent spend resets at the cycle start", [grant("w", "100")],
         [chat("m", 10, agent="a1", at="2026-04-01T00:00:00Z")],
         {"items": [{"status": "charged"}], "agentSpend": {"a1": "5"}},
         agents={"a1": {"onPlanExhausted": "stop", "monthlyLimit": "10", "spentThisCycle": "10"}},
         cycle={"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}),
    prev("usage is drawn in time order whatever the input order", [grant("w", "10")],
         [chat("late", 10, at="2026-03-10T13:00:00Z"), chat("early", 10)],
         {"items": [{"id": "early", "lines": [{"uncovered": "0"}]}, {"id": "late", "lines": [{"uncovered": "0"}]}],
          "balanceAfter": "0"}),
    prev("a grant that expires between two items is used only by the first",
         [grant("promo", "100", "promotional", expiresAt="2026-03-10T12:30:00Z"), grant("w", "100")],
         [chat("a", 10), chat("b", 10, at="2026-03-10T12:30:00Z")],
         {"items": [{"id": "a", "lines": [{"allocations": [{"source": "promo"}]}]},
                    {"id": "b", "lines": [{"allocations": [{"source": "w"}]}]}],
          "balanceBefore": "200", "balanceAfter": "95"}),
    prev("balances with no usage count every grant", [grant("w", "10"), grant("p", "5", "plan")], [],
         {"items": [], "balanceBefore": "10", "balanceAfter": "10"}),
    prev("a zero-second call is charged nothing", [grant("w", "10")], [vcall("c", call(0))],
         {"items": [{"status": "charged", "lines": []}], "balanceAfter": "10"}),
]

# ---------------------------------------------------------------- authorize
def auth(name, grants, req, expect, c=CARD, **acct):
    r = {"direction": "outbound", "at": T0}
    r.update(req)
    return v(name, "authorizeCall", {"rateCard": c, "account": account(grants, **acct), "call": r}, expect)

def mode_card(mode, dp=0):
    return {"currency": "USD", "creditsPerUnit": "100", "rounding": {"mode": mode, "creditDecimals": dp},
            "voice": {"perMinute": "1", "increment": "1/1"}}

authorize = [
    auth("60/60: the last whole minute that fits", [grant("w", "100")], {}, {"allowed": True, "code": "ok", "maxSeconds": 660}),
    auth("60/60: budget exactly the cost of 11 minutes", [grant("w", "99")], {}, {"maxSeconds": 660}),
    auth("60/60: one ten-thousandth short of 11 minutes", [grant("w", "98.9999")], {}, {"maxSeconds": 600}),
    auth("60/60: budget below the first increment", [grant("w", "8.9999")], {}, {"allowed": False, "maxSeconds": 0}),
    auth("1/1 at 6/min: exact per-second boundary", [grant("w", "10")], {},
         {"maxSeconds": 100}, c=card(voice={"perMinute": "6", "increment": "1/1"})),
    auth("1/1 at 6/min: just under a boundary", [grant("w", "10.0999")], {},
         {"maxSeconds": 100}, c=card(voice={"perMinute": "6", "increment": "1/1"})),
    auth("30/6: the first increment then 6 s steps", [grant("w", "4")], {},
         {"maxSeconds": 36}, c=card(voice={"perMinute": "6", "increment": "30/6"})),
    auth("30/6: the first increment only", [grant("w", "3.5")], {},
         {"maxSeconds": 30}, c=card(voice={"perMinute": "6", "increment": "30/6"})),
    auth("60/1: per-second after the first minute", [grant("w", "10")], {},
         {"maxSeconds": 66}, c=card(voice={"perMinute": "9", "increment": "60/1"})),
    auth("rounding half_up: 89 s rounds to 1 credit, 90 s to 2", [grant("w", "1")], {}, {"maxSeconds": 89}, c=mode_card("half_up")),
    auth("rounding half_even: 90 s is 1.5, rounds to 2", [grant("w", "1")], {}, {"maxSeconds": 89}, c=mode_card("half_even")),
    auth("rounding half_even: 150 s is 2.5, rounds to 2", [grant("w", "2")], {}, {"maxSeconds": 150}, c=mode_card("half_even")),
    auth("rounding up: 60 s is the most for 1 credit", [grant("w", "1")], {}, {"maxSeconds": 60}, c=mode_card("up")),
    auth("rounding down: 119 s still costs 1 credit", [grant("w", "1")], {}, {"maxSeconds": 119}, c=mode_card("down")),
    auth("tiny rate at 4 decimals: exact answer far past the first increment", [grant("w", "0.001")], {},
         {"maxSeconds": 629}, c=card(voice={"perMinute": "0.0001", "increment": "1/1"})),
    auth("toll-free inbound includes the surcharge", [grant("w", "100")], {"direction": "inbound", "tollFree": True},
         {"maxSeconds": 540}),
    auth("toll-free outbound has no surcharge", [grant("w", "100")], {"tollFree": True}, {"maxSeconds": 660}),
    auth("connect fee comes off the budget first", [grant("w", "100")], {}, {"maxSeconds": 660},
         c=card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "1"})),
    auth("connect fee at the boundary", [grant("w", "99.9")], {}, {"maxSeconds": 600},
         c=card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "1"})),
    auth("connect fee larger than the balance", [grant("w", "0.5")], {}, {"allowed": False, "maxSeconds": 0},
         c=card(voice={"perMinute": "0", "increment": "1/1", "connectFee": "1"})),
    auth("included minutes, then overage from the wallet", [grant("w", "14")], {}, {"maxSeconds": 240, "includedSeconds": 120},
         plan=PLAN, includedSecondsRemaining=120),
    auth("included minutes with the toll-free surcharge", [grant("w", "10")], {"direction": "inbound", "tollFree": True},
         {"maxSeconds": 120}, plan=PLAN, includedSecondsRemaining=120),
    auth("included minutes alone with an empty wallet", [], {}, {"allowed": True, "maxSeconds": 600}, plan=PLAN),
    auth("plan credits count toward the budget", [grant("pc", "18", "plan")], {}, {"maxSeconds": 120, "availableCredits": "18"}),
    auth("requestedMaxSeconds caps the answer", [grant("w", "100")], {"requestedMaxSeconds": 300}, {"maxSeconds": 300}),
    auth("requestedMaxSeconds above the affordable maximum does not raise it", [grant("w", "100")],
         {"requestedMaxSeconds": 5000}, {"maxSeconds": 660}),
    auth("requestedMaxSeconds 0 refuses", [grant("w", "100")], {"requestedMaxSeconds": 0},
         {"allowed": False, "maxSeconds": 0, "code": "insufficient_credits"}),
    auth("a free call is capped at a day", [], {}, {"allowed": True, "maxSeconds": 86400},
         c=card(voice={"perMinute": "0", "increment": "1/1"})),
    auth("a very large balance is capped at a day", [grant("w", "1000000")], {}, {"maxSeconds": 86400}),
    auth("an enormous budget over a tiny rate answers without overflow", [grant("w", "1000000000000000"),
         grant("v", "1000000000000000"), grant("x", "1000000000000000")], {"direction": "inbound", "tollFree": True},
         {"allowed": True, "maxSeconds": 86400},
         c=card(voice={"perMinute": "0", "increment": "1/1"}, tollFreeSurcharge={"perMinute": "0.000000000001"})),
    auth("owed credits reduce the budget", [grant("w", "100")], {}, {"maxSeconds": 60, "availableCredits": "9"}, owed="91"),
    auth("owed beyond the wallet leaves nothing", [grant("w", "10")], {}, {"allowed": False, "availableCredits": "0"}, owed="20"),
    auth("a grant expiring at the call start does not count", [grant("w", "100", expiresAt=T0)], {},
         {"allowed": False, "httpStatus": 402}),
    auth("a grant effective at the call start counts", [grant("w", "100", effectiveAt=T0)], {}, {"maxSeconds": 660}),
    auth("stop agent with the plan exhausted", [grant("w", "100")], {"agentId": "a1"},
         {"allowed": False, "code": "plan_exhausted", "httpStatus": 402, "error": {"code": "plan_exhausted"}},
         plan=PLAN, includedSecondsRemaining=0, agents={"a1": {"onPlanExhausted": "stop"}}),
    auth("inbound for a stop agent with the plan exhausted is rejected", [grant("w", "100")], {"agentId": "a1", "direction": "inbound"},
         {"allowed": False, "code": "plan_exhausted", "action": "reject_inbound"},
         plan=PLAN, includedSecondsRemaining=0, agents={"a1": {"onPlanExhausted": "stop"}}),
    auth("use_balance agent with the plan exhausted uses the wallet at the overage rate", [grant("w", "14")], {"agentId": "a1"},
         {"allowed": True, "maxSeconds": 120},
         plan=PLAN, includedSecondsRemaining=0, agents={"a1": {"onPlanExhausted": "use_balance"}}),
    auth("stop agent never draws the wallet", [grant("w", "1000")], {"agentId": "a1"},
         {"maxSeconds": 60, "availableCredits": "0"},
         plan=PLAN, includedSecondsRemaining=60, agents={"a1": {"onPlanExhausted": "stop"}}),
    auth("stop agent at its monthly limit", [grant("w", "100")], {"agentId": "a1"},
         {"allowed": False, "code": "agent_limit_reached"},
         agents={"a1": {"onPlanExhausted": "stop", "monthlyLimit": "20", "spentThisCycle": "20"}}),
    auth("stop agent's remaining limit caps the budget", [grant("pc", "100", "plan")], {"agentId": "a1"},
         {"maxSeconds": 60, "availableCredits": "9"},
         agents={"a1": {"onPlanExhausted": "stop", "monthlyLimit": "20", "spentThisCycle": "11"}}),
    auth("use_balance agent past its limit skips included minutes", [grant("w", "14")], {"agentId": "a1"},
         {"allowed": True, "maxSeconds": 120, "includedSeconds": 0},
         plan=PLAN, agents={"a1": {"onPlanExhausted": "use_balance", "monthlyLimit": "5", "spentThisCycle": "5"}}),
    auth("promotional grant not yet effective is not counted", [grant("w", "9"), grant("p", "100", "promotional",
         effectiveAt="2026-03-11T00:00:00Z")], {}, {"maxSeconds": 60}),
]

# ---------------------------------------------------------------- validateAutoReload
def rl(name, settings, expect, **kw):
    i = {"settings": settings}
    i.update(kw)
    return v(name, "validateAutoReload", i, expect)

OK = {"enabled": True, "threshold": "20.00", "amount": "50.00", "paymentMethod": "pm_1"}

def bad(field, code):
    return {"field": "settings." + field, "code": code}

reload = [
    # SEMANTICS 7 (this turn): a form as a person fills it in; each field's finding, all at once.
    rl("a float reload amount is a finding on its field", dict(OK, amount=50.5),
       {"valid": False, "errors": [bad("amount", "invalid_decimal")]}, rateCard=CARD),
    rl("an empty threshold is missing_field", dict(OK, threshold=""),
       {"valid": False, "errors": [bad("threshold", "missing_field")]}, rateCard=CARD),
    rl("a blank amount is missing_field", dict(OK, amount="   "),
       {"valid": False, "errors": [bad("amount", "missing_field")]}, rateCard=CARD),
    rl("a missing amount is missing_field", {"enabled": True, "threshold": "20", "paymentMethod": "pm"},
       {"valid": False, "errors": [bad("amount", "missing_field")]}, rateCard=CARD),
    rl("a null threshold is missing_field", dict(OK, threshold=None),
       {"valid": False, "errors": [bad("threshold", "missing_field")]}, rateCard=CARD),
    rl("a thousands separator is invalid_decimal", dict(OK, amount="1,000"),
       {"valid": False, "errors": [bad("amount", "invalid_decimal")]}, rateCard=CARD),
    rl("a currency sign is invalid_decimal", dict(OK, threshold="$10"),
       {"valid": False, "errors": [bad("threshold", "invalid_decimal")]}, rateCard=CARD),
    rl("a whole JSON number is read as that many units", dict(OK, threshold=20, amount=50),
       {"valid": True, "errors": []}, rateCard=CARD),
    rl("a half-filled form reports all four findings at once",
       {"enabled": True, "threshold": "", "amount": "$10", "paymentMethod": None, "maxReloadsPerDay": 0},
       {"valid": False, "errors": [bad("threshold", "missing_field"), bad("amount", "invalid_decimal"),
                                   bad("paymentMethod", "payment_method_required"),
                                   bad("maxReloadsPerDay", "invalid_max_reloads")]}, rateCard=CARD),
    rl("a form with the seed's field names and bad values", {"enabled": True, "thresholdUsd": "1,000", "amountUsd": 5.5},
       {"valid": False, "errors": [bad("threshold", "invalid_decimal"), bad("amount", "invalid_decimal"),
                                   bad("paymentMethod", "payment_method_required")]}, rateCard=CARD),
    rl("a field the settings do not have is a finding", dict(OK, thresholdEur="5"),
       {"valid": False, "errors": [bad("thresholdEur", "unknown_field")]}, rateCard=CARD),
    rl("enabled that is not a boolean is a finding", dict(OK, enabled="yes"),
       {"valid": False, "errors": [bad("enabled", "invalid_type")]}, rateCard=CARD),
    rl("a bad field does not hide another field's precision error", dict(OK, threshold="x", amount="10.001"),
       {"valid": False, "errors": [bad("threshold", "invalid_decimal"), bad("amount", "invalid_money_precision")]}, rateCard=CARD),
    rl("valid settings have no errors and no warnings", OK, {"valid": True, "errors": [], "warnings": []}, rateCard=CARD),
    rl("disabled settings need no payment method", {"enabled": False, "threshold": "20", "amount": "50"},
       {"valid": True, "errors": []}, rateCard=CARD),
    rl("a blank payment method is no payment method", dict(OK, paymentMethod="  "),
       {"valid": False, "errors": [{"code": "payment_method_required"}]}, rateCard=CARD),
    rl("negative threshold", dict(OK, threshold="-1"),
       {"valid": False, "errors": [{"field": "settings.threshold", "code": "negative_threshold"}]}, rateCard=CARD),
    rl("zero threshold is allowed", dict(OK, threshold="0"), {"valid": True}, rateCard=CARD),
    rl("zero amount", dict(OK, amount="0"),
       {"valid": False, "errors": [{"field": "settings.amount", "code": "amount_not_positive"}]}, rateCard=CARD),
    rl("negative amount", dict(OK, amount="-5"),
       {"valid": False, "errors": [{"field": "settings.amount", "code": "amount_not_positive"}]}, rateCard=CARD),
    rl("USD amount with three decimals", dict(OK, amount="10.005"),
       {"valid": False, "errors": [{"field": "settings.amount", "code": "invalid_money_precision"}]}, rateCard=CARD),
    rl("USD threshold with three decimals", dict(OK, threshold="1.001"),
       {"valid": False, "errors": [{"field": "settings.threshold", "code": "invalid_money_precision"}]}, rateCard=CARD),
    rl("trailing zeros beyond the minor unit are still exact cents", dict(OK, amount="10.500"), {"valid": True}, rateCard=CARD),
    rl("JPY amount with decimals", dict(OK, amount="1000.5", threshold="500"),
       {"valid": False, "errors": [{"code": "invalid_money_precision"}]},
       rateCard={"currency": "JPY", "creditsPerUnit": "1"}),
    rl("JPY whole amount", dict(OK, amount="1000", threshold="500"), {"valid": True},
       rateCard={"currency": "JPY", "creditsPerUnit": "1"}),
    rl("amount below the minimum top-up", dict(OK, amount="5.00"),
       {"valid": False, "errors": [{"field": "settings.amount", "code": "amount_below_min_top_up"}]},
       rateCard=CARD, account={"limits": {"minTopUp": "10.00", "maxTopUp": "1000.00"}}),
    rl("amount above the maximum top-up", dict(OK, amount="1500.00"),
       {"valid": False, "errors": [{"field": "settings.amount", "code": "amount_above_max_top_up"}]},
       rateCard=CARD, account={"limits": {"minTopUp": "10.00", "maxTopUp": "1000.00"}}),
    rl("amount at the limits is fine", dict(OK, amount="10.00"), {"valid": True, "errors": []},
       rateCard=CARD, account={"limits": {"minTopUp": "10.00", "maxTopUp": "10.00"}}),
    rl("maxReloadsPerDay 0 is invalid", dict(OK, maxReloadsPerDay=0),
       {"valid": False, "errors": [{"field": "settings.maxReloadsPerDay", "code": "invalid_max_reloads"}]}, rateCard=CARD),
    rl("every error at once", {"enabled": True, "threshold": "-1", "amount": "0.001"},
       {"valid": False, "errors": [{"code": "payment_method_required"}, {"code": "negative_threshold"},
                                    {"code": "invalid_money_precision", "field": "settings.amount"}]}, rateCard=CARD),
    rl("warning: threshold below the cost of one maximum-length call", dict(OK, threshold="1.00"),
       {"valid": True, "warnings": [{"field": "settings.threshold", "code": "threshold_below_max_call_cost"}]},
       rateCard=CARD, context={"maxCallSeconds": 1800}),
    rl("no warning when the threshold covers the longest call", dict(OK, threshold="3.30"),
       {"valid": True, "warnings": []}, rateCard=CARD, context={"maxCallSeconds": 1800}),
    rl("warning: expected spend would reload more often than allowed", dict(OK, amount="10.00", maxReloadsPerDay=3),
       {"valid": True, "warnings": [{"field": "settings.amount", "code": "reloads_exceed_daily_max"}]},
       rateCard=CARD, context={"expectedDailySpend": "5000"}),
    rl("no warning when the daily reloads fit", dict(OK, amount="10.00", maxReloadsPerDay=5),
       {"valid": True, "warnings": []}, rateCard=CARD, context={"expectedDailySpend": "5000"}),
    rl("warning: settings exceed the wallet maximum", dict(OK, threshold="900", amount="200"),
       {"valid": True, "warnings": [{"code": "exceeds_wallet_max"}]},
       rateCard=CARD, account={"limits": {"maxBalance": "1000"}}),
    rl("without a rate card the precision checks are skipped and said so", OK,
       {"valid": True, "warnings": [{"code": "not_checked_against_rate_card"}]}),
]

# ---------------------------------------------------------------- evaluateAlerts
BELOW = {"info": {"threshold": "1000", "direction": "below"}, "warning": {"threshold": "500", "direction": "below"},
         "critical": {"threshold": "100", "direction": "below"}}
ABOVE = {"info": {"threshold": "100", "direction": "above"}, "warning": {"threshold": "500", "direction": "above"},
         "critical": {"threshold": "1000", "direction": "above"}}
def al(name, settings, prev_state, balance, state, changed):
    return v(name, "evaluateAlerts", {"settings": settings, "previousState": prev_state, "balance": balance},
             {"state": state, "changed": changed})
alerts = [
    al("ok stays ok", BELOW, "ok", "1500", "ok", False),
    al("ok -> info at the threshold (inclusive)", BELOW, "ok", "1000", "info", True),
    al("info stays info", BELOW, "info", "999.9999", "info", False),
    al("info -> warning", BELOW, "info", "500", "warning", True),
    al("warning -> in_alarm", BELOW, "warning", "100", "in_alarm", True),
    al("ok -> in_alarm in one step", BELOW, "ok", "-5", "in_alarm", True),
    al("in_alarm -> warning on recovery", BELOW, "in_alarm", "100.0001", "warning", True),
    al("warning -> info", BELOW, "warning", "700", "info", True),
    al("in_alarm -> ok", BELOW, "in_alarm", "2000", "ok", True),
    al("above: in_alarm at the critical threshold", ABOVE, "ok", "1000", "in_alarm", True),
    al("above: warning", ABOVE, "info", "600", "warning", True),
    al("above: below every level is ok", ABOVE, "ok", "50", "ok", False),
    al("only a critical level: in_alarm", {"critical": {"threshold": "100"}}, "ok", "50", "in_alarm", True),
    al("only a critical level: ok", {"critical": {"threshold": "100"}}, "in_alarm", "150", "ok", True),
    al("no levels: always ok", {}, "ok", "-1000", "ok", False),
    al("mixed directions: each level checks its own", {"info": {"threshold": "5000", "direction": "above"},
       "critical": {"threshold": "10", "direction": "below"}}, "ok", "6000", "info", True),
    v("previousState defaults to ok", "evaluateAlerts", {"settings": BELOW, "balance": "50"},
      {"state": "in_alarm", "changed": True, "previousState": "ok"}),
    v("equal thresholds are ordered", "evaluateAlerts",
      {"settings": {"info": {"threshold": "100"}, "warning": {"threshold": "100"}, "critical": {"threshold": "100"}},
       "previousState": "ok", "balance": "100"}, {"state": "in_alarm"}),
]

# ---------------------------------------------------------------- errors
def qerr(name, rate_card, c, code, field=None):
    e = {"code": code}
    if field:
        e["field"] = field
    return v(name, "quoteCall", {"rateCard": rate_card, "call": c}, error=e)

errors = [
    qerr("a fractional JSON number is invalid_decimal", card(voice={"perMinute": 0.07}), call(60), "invalid_decimal", "rateCard.voice.perMinute"),
    qerr("an exponent JSON number is invalid_decimal", card(creditsPerUnit=1e-05), call(60), "invalid_decimal", "rateCard.creditsPerUnit"),
    qerr("an exponent string is invalid_decimal", card(voice={"perMinute": "9e1"}), call(60), "invalid_decimal", "rateCard.voice.perMinute"),
    qerr("underscores are invalid_decimal", card(creditsPerUnit="1_000"), call(60), "invalid_decimal"),
    qerr("a leading plus is invalid_decimal", card(creditsPerUnit="+100"), call(60), "invalid_decimal"),
    qerr("spaces are invalid_decimal", card(creditsPerUnit=" 100"), call(60), "invalid_decimal"),
    qerr("a bare dot is invalid_decimal", card(creditsPerUnit="1."), call(60), "invalid_decimal"),
    qerr("an integer beyond 2^53-1 is invalid_decimal", card(creditsPerUnit=9007199254740992), call(60), "invalid_decimal"),
    qerr("more than 12 decimals is invalid_decimal", card(voice={"perMinute": "0.0000000000001"}), call(60), "invalid_decimal"),
    v("an error message quotes the bad value whole", "quoteCall", {"rateCard": card(creditsPerUnit="x at line 1"), "call": call(60)},
      error={"code": "invalid_decimal", "field": "rateCard.creditsPerUnit",
             "message": "`x at line 1` is not a decimal string like \"12.5\""}),
    qerr("a boolean amount is invalid_decimal", card(creditsPerUnit=True), call(60), "invalid_decimal"),
    qerr("null amount is invalid_decimal", card(creditsPerUnit=None), call(60), "invalid_decimal"),
    qerr("an amount beyond 10^15 is invalid_decimal", card(creditsPerUnit="1000000000000001"), call(60), "invalid_decimal"),
    # SEMANTICS 1 (this turn): pass-through costs take up to 6 decimals, whatever the currency.
    qerr("pass-through with more than 6 decimals", CARD, call(60, carrierPassThrough=[{"amount": "0.0000001"}]),
         "invalid_money_precision", "call.carrierPassThrough[0].amount"),
    qerr("pass-through in yen with more than 6 decimals", card(currency="JPY", creditsPerUnit="1"),
         call(60, carrierPassThrough=[{"amount": "1.0000001"}]), "invalid_money_precision", "call.carrierPassThrough[0].amount"),
    qerr("negative pass-through", CARD, call(60, carrierPassThrough=[{"amount": "-1"}]), "negative_amount",
         "call.carrierPassThrough[0].amount"),
    qerr("unknown currency", card(currency="XYZ"), call(60), "invalid_currency", "rateCard.currency"),
    qerr("lower-case currency", card(currency="usd"), call(60), "invalid_currency", "rateCard.currency"),
    qerr("increment without a slash", card(voice={"perMinute": "9", "increment": "60"}), call(60), "invalid_increment", "rateCard.voice.increment"),
    qerr("increment with a zero first", card(voice={"perMinute": "9", "increment": "0/60"}), call(60), "invalid_increment"),
    qerr("increment with a zero next", card(voice={"perMinute": "9", "increment": "60/0"}), call(60), "invalid_increment"),
    qerr("increment with words", card(transfer={"perMinute": "6", "increment": "a/b"}), call(60), "invalid_increment", "rateCard.transfer.increment"),
    qerr("increment with three parts", card(voice={"perMinute": "9", "increment": "60/60/60"}), call(60), "invalid_increment"),
    qerr("negative duration", CARD, call(-1), "invalid_duration", "call.connectedSeconds"),
    qerr("fractional duration", CARD, call(1.5), "invalid_duration", "call.connectedSeconds"),
    qerr("duration as words", CARD, call("ten"), "invalid_duration", "call.connectedSeconds"),
    qerr("duration beyond ten years", CARD, call(315360001), "invalid_duration"),
    qerr("negative bridged seconds", CARD, call(60, transfer={"bridgedSeconds": -5}), "invalid_duration", "call.transfer.bridgedSeconds"),
    qerr("a missing call field", CARD, {"direction": "inbound"}, "missing_field", "call.connectedSeconds"),
    qerr("a missing rate card field", {"creditsPerUnit": "100"}, call(60), "missing_field", "rateCard.currency"),
    qerr("an unknown field is refused, not ignored", card(voice={"perMinute": "9", "perMinut": "1"}), call(60), "unknown_field", "rateCard.voice.perMinut"),
    qerr("an unknown direction", CARD, call(60, "sideways"), "invalid_enum", "call.direction"),
    qerr("an unknown rounding mode", card(rounding={"mode": "bankers"}), call(60), "invalid_enum", "rateCard.rounding.mode"),
    qerr("a string where an object belongs", CARD, "call", "invalid_type", "call"),
    qerr("tollFree as a string", CARD, call(60, tollFree="yes"), "invalid_type", "call.tollFree"),
    qerr("negative voice rate", card(voice={"perMinute": "-9"}), call(60), "negative_amount", "rateCard.voice.perMinute"),
    qerr("negative connect fee", card(voice={"perMinute": "9", "connectFee": "-1"}), call(60), "negative_amount", "rateCard.voice.connectFee"),
    qerr("zero credits per unit", card(creditsPerUnit="0"), call(60), "invalid_value", "rateCard.creditsPerUnit"),
    qerr("too many credit decimals", card(rounding={"creditDecimals": 13}), call(60), "invalid_value", "rateCard.rounding.creditDecimals"),
    qerr("no voice rate for a connected call", {"currency": "USD", "creditsPerUnit": "100"}, call(60), "missing_rate", "rateCard.voice"),
    qerr("no transfer rate for a transfer", {"currency": "USD", "creditsPerUnit": "100", "voice": {"perMinute": "9"}},
         call(60, transfer={"bridgedSeconds": 10}), "missing_rate", "rateCard.transfer"),
    qerr("an overflowing product is arithmetic_overflow, not a panic",
         {"currency": "USD", "creditsPerUnit": "1000000000000000"},
         call(0, carrierPassThrough=[{"amount": "999999999999999"}]), "arithmetic_overflow"),
    v("the top-level input must be an object", "quoteCall", [1, 2], error={"code": "invalid_type"}),
    v("an unknown operation", "fooBar", {}, error={"code": "unknown_op"}),
    v("a negative plan fee", "quoteCall", {"rateCard": CARD, "plan": dict(PLAN, monthlyFee="-1"), "call": call(60)},
      error={"code": "negative_amount", "field": "plan.monthlyFee"}),
    v("a plan fee with sub-cent precision", "quoteCall", {"rateCard": CARD, "plan": dict(PLAN, monthlyFee="99.001"), "call": call(60)},
      error={"code": "invalid_money_precision", "field": "plan.monthlyFee"}),
    v("no chat rate for a chat item", "previewDrawdown",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100"}, "account": account([]), "usage": [chat("m", 1)]},
      error={"code": "missing_rate", "field": "rateCard.chat"}),
    v("an unknown number kind", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [{"id": "n", "at": T0, "kind": "number", "numberKind": "mobile"}]},
      error={"code": "missing_rate", "field": "rateCard.numbers.mobile"}),
    v("a call item without its call", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [{"id": "c", "at": T0, "kind": "call"}]},
      error={"code": "missing_field", "field": "usage[0].call"}),
    v("errors inside a usage call carry the item's path", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [chat("a", 1), vcall("c", call(60, carrierPassThrough=[{"amount": "0.0000001"}]))]},
      error={"code": "invalid_money_precision", "field": "usage[1].call.carrierPassThrough[0].amount"}),
    v("an unknown usage kind", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [{"id": "x", "at": T0, "kind": "sms"}]},
      error={"code": "invalid_enum", "field": "usage[0].kind"}),
    v("duplicate grant ids", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("g", "1"), grant("g", "2")]), "usage": []},
      error={"code": "duplicate_id", "field": "account.grants[1].id"}),
    v("duplicate usage ids", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [chat("m", 1), chat("m", 2)]},
      error={"code": "duplicate_id", "field": "usage[1].id"}),
    v("negative grant remaining", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("g", "-1")]), "usage": []},
      error={"code": "negative_amount", "field": "account.grants[0].remaining"}),
    v("a grant expiring before it starts", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("g", "1", effectiveAt=T0, expiresAt=T0)]), "usage": []},
      error={"code": "invalid_grant_window", "field": "account.grants[0].expiresAt"}),
    v("an unknown grant type", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("g", "1", "gift")]), "usage": []},
      error={"code": "invalid_enum", "field": "account.grants[0].type"}),
    v("a cycle that ends before it starts", "previewDrawdown",
      {"rateCard": CARD, "account": account([], cycle={"start": "2026-04-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}), "usage": []},
      error={"code": "invalid_cycle", "field": "account.cycle.end"}),
    v("an instant without an offset", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [chat("m", 1, at="2026-03-10T12:00:00")]},
      error={"code": "invalid_instant", "field": "usage[0].at"}),
    v("an instant with an hour of 25", "authorizeCall",
      {"rateCard": CARD, "account": account([]), "call": {"direction": "outbound", "at": "2026-03-10T25:00:00Z"}},
      error={"code": "invalid_instant", "field": "call.at"}),
    v("a call before 2000, where the zone table starts", "authorizeCall",
      {"rateCard": CARD, "account": account([]), "call": {"direction": "outbound", "at": "1999-12-31T23:59:59Z"}},
      error={"code": "instant_out_of_range", "field": "call.at"}),
    v("a grant effective from 1970 (the epoch as a sentinel)", "previewDrawdown",
      {"rateCard": CARD, "account": account([grant("g", "1", effectiveAt="1970-01-01T00:00:00Z")]), "usage": []},
      error={"code": "instant_out_of_range", "field": "account.grants[0].effectiveAt"}),
    v("the first second of 2000 is accepted", "authorizeCall",
      {"rateCard": CARD, "account": account([]), "call": {"direction": "outbound", "at": "2000-01-01T00:00:00Z"}},
      expect={"allowed": False}),
    v("an unknown time zone", "previewDrawdown",
      {"rateCard": CARD, "account": account([], timeZone="Mars/Olympus"), "usage": []},
      error={"code": "invalid_time_zone", "field": "account.timeZone"}),
    v("a rental expanding past 1200 periods", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [{"id": "n", "at": T0, "kind": "number", "numberKind": "local",
                                                             "through": "2200-01-01T00:00:00Z"}]},
      error={"code": "too_many_periods", "field": "usage[0].through"}),
    v("unordered alert thresholds (below)", "evaluateAlerts",
      {"settings": {"warning": {"threshold": "50"}, "critical": {"threshold": "100"}}, "previousState": "ok", "balance": "0"},
      error={"code": "alert_thresholds_unordered", "field": "settings.warning.threshold"}),
    v("unordered alert thresholds (above)", "evaluateAlerts",
      {"settings": {"info": {"threshold": "600", "direction": "above"}, "warning": {"threshold": "500", "direction": "above"}},
       "previousState": "ok", "balance": "0"},
      error={"code": "alert_thresholds_unordered", "field": "settings.info.threshold"}),
    v("unordered alerts in an account snapshot", "previewDrawdown",
      {"rateCard": CARD, "account": account([], alerts={"info": {"threshold": "1"}, "critical": {"threshold": "2"}}), "usage": []},
      error={"code": "alert_thresholds_unordered", "field": "account.alerts.info.threshold"}),
    v("an unknown alert state", "evaluateAlerts", {"settings": {}, "previousState": "panic", "balance": "0"},
      error={"code": "invalid_enum", "field": "previousState"}),
    v("a float balance for alerts", "evaluateAlerts", {"settings": {}, "balance": 1.5},
      error={"code": "invalid_decimal", "field": "balance"}),
    v("a malformed rate card still fails the whole reload validation", "validateAutoReload",
      {"settings": OK, "rateCard": card(creditsPerUnit="1,00")},
      error={"code": "invalid_decimal", "field": "rateCard.creditsPerUnit"}),
    v("authorize without a voice rate", "authorizeCall",
      {"rateCard": {"currency": "USD", "creditsPerUnit": "100"}, "account": account([]), "call": {"direction": "outbound", "at": T0}},
      error={"code": "missing_rate", "field": "rateCard.voice"}),
    v("authorize with a negative requested maximum", "authorizeCall",
      {"rateCard": CARD, "account": account([]), "call": {"direction": "outbound", "at": T0, "requestedMaxSeconds": -1}},
      error={"code": "invalid_duration", "field": "call.requestedMaxSeconds"}),
    v("too many messages is a count error, not a duration", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [chat("m", 999999999999)]},
      error={"code": "invalid_count", "field": "usage[0].messages"}),
    v("a fractional number count", "previewDrawdown",
      {"rateCard": CARD, "account": account([]), "usage": [{"id": "n", "at": T0, "kind": "number", "numberKind": "local", "count": 1.5}]},
      error={"code": "invalid_count", "field": "usage[0].count"}),
    v("negative owed", "authorizeCall",
      {"rateCard": CARD, "account": account([], owed="-1"), "call": {"direction": "outbound", "at": T0}},
      error={"code": "negative_amount", "field": "account.owed"}),
]

# ---------------------------------------------------------------- live calls (SEMANTICS 11)
# 9 credits/min on 60/60 unless said; a call of d seconds costs 9 * ceil(d/60) credits.
from datetime import datetime, timedelta

T0D = datetime(2026, 3, 10, 12, 0, 0)


def at(s):
    """T0 plus s seconds."""
    return (T0D + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def hold(id, granted, credits="0", plan="0", incl=0, start=0, grace=60, direction="outbound",
         tf=False, agent=None):
    h = {"id": id, "kind": "call", "direction": direction, "tollFree": tf, "startedAt": at(start),
         "grantedSeconds": granted, "includedSeconds": incl, "planCredits": plan, "credits": credits,
         "validUntil": at(start + granted + grace)}
    if agent:
        h["agentId"] = agent
    return h


def start(name, acct, c, expect=None, rc=CARD, error=None):
    call_ = {"id": "c1", "direction": "outbound", "at": T0}
    call_.update(c)
    return v(name, "startCall", {"rateCard": rc, "account": acct, "call": call_}, expect, error)


def extend(name, acct, when, expect=None, quota=None, rc=CARD, error=None, call_id="c1"):
    i = {"rateCard": rc, "account": acct, "callId": call_id, "at": at(when)}
    if quota is not None:
        i["quotaSeconds"] = quota
    return v(name, "extendCall", i, expect, error)


def end(name, acct, when, c, expect=None, rc=CARD, error=None, call_id="c1"):
    return v(name, "endCall", {"rateCard": rc, "account": acct, "callId": call_id, "at": at(when), "call": c},
             expect, error)


def ai(quantity, credits, allocations=None):
    line = {"code": "voice.ai_minutes", "quantity": str(quantity), "credits": credits}
    if allocations is not None:
        line["allocations"] = allocations
    return line


W = lambda amount="1000", **kw: account([grant("w", amount)], **kw)
PLANNED = lambda plan_credits="50", wallet="100", incl=120, **kw: account(
    [grant("p", plan_credits, type="plan"), grant("w", wallet)], plan=PLAN, includedSecondsRemaining=incl, **kw)
STOP = {"a1": {"onPlanExhausted": "stop", "monthlyLimit": "20"}}
USE_BALANCE = {"a1": {"onPlanExhausted": "use_balance", "monthlyLimit": "20"}}
RELOAD = {"enabled": True, "threshold": "0.60", "amount": "10.00", "paymentMethod": "pm"}
REFUSED = {"allowed": False, "grantedSeconds": 0, "finalQuota": True, "hold": None, "validUntil": None}


def c3006(mode):
    return card(voice={"perMinute": "9", "increment": "30/6"}, rounding={"mode": mode, "creditDecimals": 0})


live = [
    # -- startCall: the quota against the pools
    start("start: the default 300-second quota when the wallet covers it", W(), {},
          {"allowed": True, "code": "ok", "grantedSeconds": 300, "finalQuota": False, "validUntil": at(360),
           "hold": {"id": "c1", "kind": "call", "direction": "outbound", "startedAt": T0, "grantedSeconds": 300,
                    "includedSeconds": 0, "planCredits": "0", "credits": "45", "validUntil": at(360)},
           "account": {"holds": [{"id": "c1", "credits": "45"}], "grants": [{"id": "w", "remaining": "1000"}]}}),
    start("start: a quota of 120 seconds holds two minutes", W(), {"quotaSeconds": 120},
          {"grantedSeconds": 120, "finalQuota": False, "hold": {"credits": "18"}, "validUntil": at(180)}),
    start("start: the pools, not the quota, set a final grant", W("30"), {},
          {"allowed": True, "grantedSeconds": 180, "finalQuota": True, "hold": {"credits": "27"}, "validUntil": at(240)}),
    start("start: pools exactly the quota's cost grant it in full, not final", W("45"), {},
          {"grantedSeconds": 300, "finalQuota": False, "hold": {"credits": "45"}}),
    start("start: one ten-thousandth short of the quota's cost", W("44.9999"), {},
          {"grantedSeconds": 240, "finalQuota": True, "hold": {"credits": "36"}}),
    start("start: a request below the quota caps the grant, not final", W(), {"requestedMaxSeconds": 90},
          {"grantedSeconds": 90, "finalQuota": False, "hold": {"credits": "18"}, "validUntil": at(150)}),
    start("start: a request and thin pools, the pools decide", W("10"), {"requestedMaxSeconds": 90},
          {"grantedSeconds": 60, "finalQuota": True, "hold": {"credits": "9"}}),
    start("start: an outbound call with nothing available is refused with 402", W("0"), {},
          dict(REFUSED, code="insufficient_credits", httpStatus=402, error={"code": "insufficient_credits"})),
    start("start: an inbound call with nothing available is rejected", W("0"), {"direction": "inbound"},
          dict(REFUSED, code="insufficient_credits", action="reject_inbound")),
    start("start: grace 0 ends the hold at the grant", W(), {"graceSeconds": 0}, {"validUntil": at(300)}),
    start("start: a grace of 600 seconds", W(), {"graceSeconds": 600}, {"validUntil": at(900)}),
    start("start: a day-long quota", W("1000000"), {"quotaSeconds": 86400},
          {"grantedSeconds": 86400, "finalQuota": False, "hold": {"credits": "12960"}}),
    start("start: no quota past a day", W("1000000"), {"quotaSeconds": 100000},
          {"grantedSeconds": 86400, "finalQuota": False}),
    start("start: another call's active hold is set aside first", W("100", holds=[hold("c0", 300, "45")]), {},
          {"grantedSeconds": 300, "finalQuota": False, "hold": {"credits": "45"},
           "account": {"holds": [{"id": "c0"}, {"id": "c1", "credits": "45"}]}}),
    start("start: two holds leave one minute", W("100", holds=[hold("c0", 300, "45"), hold("c2", 300, "45")]), {},
          {"grantedSeconds": 60, "finalQuota": True, "hold": {"credits": "9"}}),
    start("start: a hold that ran out stops counting", W("100", holds=[hold("c0", 300, "95")]), {"at": at(400)},
          {"grantedSeconds": 300, "hold": {"credits": "45", "startedAt": at(400)}, "validUntil": at(760)}),
    start("start: a hold no longer counts at its validUntil", W("100", holds=[hold("c0", 300, "95")]), {"at": at(360)},
          {"grantedSeconds": 300}),
    start("start: holds beyond the wallet refuse the next call", W("100", holds=[hold("c0", 600, "95")]), {},
          dict(REFUSED, code="insufficient_credits", httpStatus=402)),
    start("start: a call id that already holds credits", W(holds=[hold("c1", 300, "45")]), {},
          error={"code": "duplicate_id", "field": "call.id"}),
    start("start: an unknown direction", W(), {"direction": "sideways"},
          error={"code": "invalid_enum", "field": "call.direction"}),
    # -- a hold taken or grown triggers auto-reload against the available wallet
    start("start: a hold that leaves the available wallet under the threshold reloads", W("100", autoReload=RELOAD), {},
          {"grantedSeconds": 300, "hold": {"credits": "45"}, "reloads": [{"credits": "1000", "multiple": 1, "amount": "10.00"}],
           "account": {"grants": [{"id": "w", "remaining": "100"}, {"id": "reload-1", "remaining": "1000"}],
                       "holds": [{"id": "c1", "credits": "45"}]}}),
    start("start: no reload while the available wallet stays at or above the threshold", W("105", autoReload=RELOAD), {},
          {"grantedSeconds": 300, "reloads": [], "account": {"grants": [{"id": "w", "remaining": "105"}]}}),
    start("start: a refused start holds nothing and reloads nothing", W("0", autoReload=RELOAD), {},
          dict(REFUSED, code="insufficient_credits", reloads=[])),
    extend("extend: growing a hold can reload", W("100", holds=[hold("c1", 300, "45")], autoReload=RELOAD), 240,
           {"grantedSeconds": 600, "hold": {"credits": "90"}, "reloads": [{"credits": "1000"}],
            "account": {"grants": [{"id": "w", "remaining": "100"}, {"id": "reload-1", "remaining": "1000"}]}}),
    # -- the pools in order: included seconds, plan credits, wallet
    start("hold: included seconds first, then plan credits", PLANNED(), {},
          {"grantedSeconds": 300, "hold": {"includedSeconds": 120, "planCredits": "21", "credits": "0"}}),
    start("hold: plan credits, then the wallet", PLANNED(plan_credits="10"), {},
          {"grantedSeconds": 300, "hold": {"includedSeconds": 120, "planCredits": "10", "credits": "11"}}),
    start("hold: a second call after the first holds the included seconds",
          PLANNED(holds=[hold("c0", 300, plan="21", incl=120)]), {},
          {"grantedSeconds": 300, "hold": {"includedSeconds": 0, "planCredits": "29", "credits": "6"}}),
    start("hold: included seconds only", PLANNED(incl=600), {},
          {"grantedSeconds": 300, "hold": {"includedSeconds": 300, "planCredits": "0", "credits": "0"}}),
    start("hold: included seconds left after another call's hold", PLANNED(incl=600, holds=[hold("c0", 480, incl=480)]), {},
          {"grantedSeconds": 300, "hold": {"includedSeconds": 120, "planCredits": "21", "credits": "0"}}),
    # -- an agent's monthly limit counts its holds (seed 002)
    start("agent stop: the monthly limit bounds the grant",
          PLANNED(plan_credits="100", incl=0, agents=STOP), {"agentId": "a1"},
          {"grantedSeconds": 120, "finalQuota": True, "hold": {"agentId": "a1", "planCredits": "14", "credits": "0"}}),
    start("agent stop: its own hold counts toward the limit",
          PLANNED(plan_credits="100", incl=0, agents=STOP, holds=[hold("c0", 120, plan="14", agent="a1")]),
          {"agentId": "a1"}, dict(REFUSED, code="insufficient_credits", httpStatus=402)),
    start("agent stop: holds at the limit refuse with agent_limit_reached",
          PLANNED(plan_credits="100", incl=0, agents=STOP, holds=[hold("c0", 180, plan="21", agent="a1")]),
          {"agentId": "a1"}, dict(REFUSED, code="agent_limit_reached", httpStatus=402)),
    start("agent stop: another agent's hold does not count toward the limit",
          PLANNED(plan_credits="100", incl=0, agents=STOP, holds=[hold("c0", 180, plan="21", agent="a2")]),
          {"agentId": "a1"}, {"grantedSeconds": 120, "hold": {"planCredits": "14"}}),
    start("agent use_balance: holds past the limit move it to the wallet",
          PLANNED(plan_credits="100", incl=0, agents=USE_BALANCE, holds=[hold("c0", 180, plan="21", agent="a1")]),
          {"agentId": "a1"}, {"grantedSeconds": 300, "hold": {"planCredits": "0", "credits": "35"}}),
    start("agent use_balance: under the limit the plan comes first",
          PLANNED(plan_credits="100", incl=0, agents=USE_BALANCE), {"agentId": "a1"},
          {"grantedSeconds": 300, "hold": {"planCredits": "35", "credits": "0"}}),
    # -- surcharges inside holds
    start("hold: an inbound toll-free call holds its surcharge", W(), {"direction": "inbound", "tollFree": True},
          {"grantedSeconds": 300, "hold": {"credits": "55", "tollFree": True, "direction": "inbound"}}),
    start("hold: an outbound toll-free call has no surcharge", W(), {"tollFree": True},
          {"grantedSeconds": 300, "hold": {"credits": "45"}}),
    start("hold: the connect fee is held", W(), {}, {"grantedSeconds": 300, "hold": {"credits": "50"}},
          rc=card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "5"})),
    start("hold: a toll-free surcharge shortens a thin grant", W("30"), {"direction": "inbound", "tollFree": True},
          {"grantedSeconds": 120, "finalQuota": True, "hold": {"credits": "22"}}),
    start("hold: a connect fee shortens a thin grant", W("20"), {}, {"grantedSeconds": 60, "finalQuota": True, "hold": {"credits": "14"}},
          rc=card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "5"})),
    start("start: a toll-free inbound call on a card without a surcharge", W(), {"direction": "inbound", "tollFree": True},
          rc={k: x for k, x in CARD.items() if k != "tollFreeSurcharge"},
          error={"code": "missing_rate", "field": "rateCard.tollFreeSurcharge"}),
] + [
    start(f"30/6, {m}: a 100-second quota holds the rounded cost of 102 seconds", W(), {"quotaSeconds": 100},
          {"grantedSeconds": 100, "hold": {"credits": cr}}, rc=c3006(m))
    for m, cr in [("half_up", "15"), ("half_even", "15"), ("up", "16"), ("down", "15")]
] + [
    extend(f"30/6, {m}: an extend prices the whole call once (204 s, not 102 s twice)",
           W(holds=[hold("c1", 100, "15")]), 60, {"grantedSeconds": 200, "finalQuota": False, "hold": {"credits": cr}},
           quota=100, rc=c3006(m))
    for m, cr in [("half_up", "31"), ("half_even", "31"), ("up", "31"), ("down", "30")]
] + [
    # -- extendCall
    extend("extend: the grant grows by the default quota", W(holds=[hold("c1", 300, "45")]), 240,
           {"allowed": True, "grantedSeconds": 600, "finalQuota": False, "validUntil": at(660),
            "hold": {"grantedSeconds": 600, "credits": "90", "startedAt": T0},
            "account": {"holds": [{"id": "c1", "credits": "90"}], "grants": [{"id": "w", "remaining": "1000"}]}}),
    extend("extend: a quota of 60 seconds", W(holds=[hold("c1", 300, "45")]), 240,
           {"grantedSeconds": 360, "hold": {"credits": "54"}, "validUntil": at(420)}, quota=60),
    extend("extend: the pools plus the call's own hold set a final grant", W("60", holds=[hold("c1", 300, "45")]), 240,
           {"grantedSeconds": 360, "finalQuota": True, "hold": {"credits": "54"}}),
    extend("extend: 60/60 prices the whole call once (3 minutes, not 2 + 2)", W(holds=[hold("c1", 90, "18")]), 60,
           {"grantedSeconds": 180, "hold": {"credits": "27"}, "validUntil": at(240)}, quota=90),
    extend("extend: connect fee once for the whole call",
           W(holds=[hold("c1", 60, "14")]), 30, {"grantedSeconds": 120, "hold": {"credits": "23"}}, quota=60,
           rc=card(voice={"perMinute": "9", "increment": "60/60", "connectFee": "5"})),
    extend("extend: other calls' holds are set aside", W("100", holds=[hold("c0", 300, "45"), hold("c1", 300, "45")]), 240,
           {"grantedSeconds": 360, "finalQuota": True, "hold": {"credits": "54"}}),
    extend("extend: a wallet drawn elsewhere shrinks the grant", W("30", holds=[hold("c1", 300, "45")]), 100,
           {"grantedSeconds": 180, "finalQuota": True, "hold": {"credits": "27"}}),
    extend("extend: the hold keeps its grace", W(holds=[hold("c1", 300, "45", grace=100)]), 240,
           {"grantedSeconds": 600, "validUntil": at(700)}),
    extend("extend: up to a day and no further", W("1000000", holds=[hold("c1", 86300, "12945")]), 86000,
           {"grantedSeconds": 86400, "finalQuota": False, "hold": {"credits": "12960"}}),
    extend("extend: included seconds and plan credits, priced for the whole call",
           PLANNED(holds=[hold("c1", 300, plan="21", incl=120)]), 240,
           {"grantedSeconds": 600, "hold": {"includedSeconds": 120, "planCredits": "50", "credits": "6"}}),
    extend("extend: a call the account does not hold", W(), 10, error={"code": "unknown_call", "field": "callId"}),
    extend("extend: a hold that expired", W(holds=[hold("c1", 300, "45")]), 360,
           error={"code": "hold_expired", "field": "callId"}),
    extend("extend: another call's id", W(holds=[hold("c0", 300, "45")]), 10,
           error={"code": "unknown_call", "field": "callId"}),
    # -- endCall
    end("end: within the grant, billed as previewDrawdown bills it", W(holds=[hold("c1", 300, "45")]), 200,
        {"connectedSeconds": 200},
        {"item": {"id": "c1", "at": T0, "status": "charged",
                  "lines": [ai(240, "36", [{"source": "w", "credits": "36"}])]},
         "overrunSeconds": 0, "balanceAfter": "964", "account": {"grants": [{"id": "w", "remaining": "964"}]}}),
    end("end: at the grant", W(holds=[hold("c1", 300, "45")]), 300, {"connectedSeconds": 300},
        {"item": {"lines": [ai(300, "45")]}, "overrunSeconds": 0, "balanceAfter": "955"}),
    end("end: past the grant, the overrun is charged too", W(holds=[hold("c1", 300, "45")]), 330, {"connectedSeconds": 330},
        {"item": {"lines": [ai(360, "54")]}, "overrunSeconds": 30, "balanceAfter": "946"}),
    end("end: an overrun past the wallet is owed", W("50", holds=[hold("c1", 300, "45")]), 400, {"connectedSeconds": 400},
        {"item": {"lines": [{"credits": "63", "uncovered": "13"}]}, "overrunSeconds": 100, "balanceAfter": "-13",
         "account": {"owed": "13"}}),
    end("end: a call without a hold is billed from its description", W(), 60,
        {"connectedSeconds": 60, "direction": "outbound", "startedAt": T0},
        {"item": {"id": "c1", "at": T0, "lines": [ai(60, "9")]}, "overrunSeconds": 60, "balanceAfter": "991"}),
    end("end: a call without a hold needs its direction", W(), 60, {"connectedSeconds": 60, "startedAt": T0},
        error={"code": "missing_field", "field": "call.direction"}),
    end("end: a call without a hold needs its start", W(), 60, {"connectedSeconds": 60, "direction": "outbound"},
        error={"code": "missing_field", "field": "call.startedAt"}),
    end("end: a second end finds no hold and, without the call's description, is refused", W("955"), 400,
        {"connectedSeconds": 300}, error={"code": "missing_field", "field": "call.direction"}),
    end("end: an expired hold is still billed", W(holds=[hold("c1", 300, "45")]), 3600, {"connectedSeconds": 600},
        {"item": {"lines": [ai(600, "90")]}, "overrunSeconds": 300, "balanceAfter": "910"}),
    end("end: a transfer is billed with the call", W(holds=[hold("c1", 300, "45")]), 120,
        {"connectedSeconds": 120, "transfer": {"bridgedSeconds": 60}},
        {"item": {"lines": [ai(120, "18"), {"code": "transfer_minute", "credits": "6"}]}, "balanceAfter": "976"}),
    end("end: a carrier pass-through is billed at cost", W(holds=[hold("c1", 300, "45")]), 60,
        {"connectedSeconds": 60, "carrierPassThrough": [{"amount": "0.013", "reason": "carrier"}]},
        {"item": {"lines": [ai(60, "9"), {"code": "voice.carrier_pass_through", "credits": "1.3"}]},
         "balanceAfter": "989.7"}),
    end("end: an inbound toll-free hold bills its surcharge",
        W(holds=[hold("c1", 300, "55", direction="inbound", tf=True)]), 120, {"connectedSeconds": 120},
        {"item": {"lines": [ai(120, "18"), {"code": "voice.toll_free_surcharge", "credits": "4"}]}, "balanceAfter": "978"}),
    end("end: included seconds and plan credits, as the preview draws them",
        PLANNED(holds=[hold("c1", 300, plan="21", incl=120)]), 300, {"connectedSeconds": 300},
        {"item": {"lines": [{"code": "voice.included_minutes", "quantity": "120"},
                            ai(180, "21", [{"source": "plan_credits", "credits": "21"}])]},
         "balanceAfter": "100",
         "account": {"includedSecondsRemaining": 0, "grants": [{"id": "p", "remaining": "29"}, {"id": "w", "remaining": "100"}]}}),
    end("end: only the ended call's hold is released", W(holds=[hold("c0", 300, "45"), hold("c1", 300, "45")]), 60,
        {"connectedSeconds": 60}, {"account": {"holds": [{"id": "c0"}]}, "balanceAfter": "991"}),
    end("end: the agent's spend counts the call", W(agents={"a1": {"onPlanExhausted": "use_balance"}},
                                                   holds=[hold("c1", 300, "45", agent="a1")]), 60,
        {"connectedSeconds": 60}, {"account": {"agents": {"a1": {"spentThisCycle": "9"}}}}),
    end("end: a call held before a cycle renewal, ended after it, draws the old cycle",
        PLANNED(plan_credits="0", incl=60, cycle={"start": "2026-02-10T12:02:00Z", "end": at(120)},
                holds=[hold("c1", 300, incl=60, credits="28")]), 400, {"connectedSeconds": 300},
        {"item": {"at": T0, "lines": [{"code": "voice.included_minutes", "quantity": "60"}, ai(240, "28")]},
         "balanceAfter": "72"}),
    end("end: a stop agent's call that ran is billed, though a start would be refused",
        PLANNED(plan_credits="0", incl=0, agents=STOP), 60,
        {"connectedSeconds": 60, "direction": "outbound", "startedAt": T0, "agentId": "a1"},
        {"item": {"status": "charged", "lines": [ai(60, "7", [{"source": "w", "credits": "7"}])]}, "balanceAfter": "93",
         "account": {"agents": {"a1": {"onPlanExhausted": "stop", "monthlyLimit": "20", "spentThisCycle": "7"}}}}),
    end("end: billed from the pools other live calls leave, so their holds still fit",
        PLANNED(plan_credits="21", incl=120, holds=[hold("c0", 300, plan="21", incl=120), hold("c1", 300, credits="35")]),
        300, {"connectedSeconds": 300},
        {"item": {"lines": [ai(300, "35", [{"source": "w", "credits": "35"}])]}, "balanceAfter": "65",
         "account": {"includedSecondsRemaining": 120, "grants": [{"id": "p", "remaining": "21"}, {"id": "w", "remaining": "65"}],
                     "holds": [{"id": "c0"}]}}),
    end("end: a negative connected duration", W(holds=[hold("c1", 300, "45")]), 60, {"connectedSeconds": -1},
        error={"code": "invalid_duration", "field": "call.connectedSeconds"}),
    # -- the other operations see holds
    v("authorize: another call's hold is set aside", "authorizeCall",
      {"rateCard": CARD, "account": W("100", holds=[hold("c0", 300, "45")]), "call": {"direction": "outbound", "at": T0}},
      {"allowed": True, "maxSeconds": 360}),
    v("authorize: an expired hold is not", "authorizeCall",
      {"rateCard": CARD, "account": W("100", holds=[hold("c0", 300, "45")]), "call": {"direction": "outbound", "at": at(360)}},
      {"maxSeconds": 660}),
    v("authorize: holds beyond the wallet refuse", "authorizeCall",
      {"rateCard": CARD, "account": W("100", holds=[hold("c0", 300, "95")]), "call": {"direction": "outbound", "at": T0}},
      {"allowed": False, "httpStatus": 402}),
    v("preview: a hold is not a deduction", "previewDrawdown",
      {"rateCard": CARD, "account": W("100", holds=[hold("c0", 300, "45")]), "usage": [chat("m", 10)]},
      {"balanceBefore": "100", "balanceAfter": "95", "reloads": []}),
    v("preview: auto-reload fires against the wallet less its holds", "previewDrawdown",
      {"rateCard": CARD, "account": W("100", holds=[hold("c0", 300, "45")], autoReload=RELOAD), "usage": [chat("m", 10)]},
      {"balanceAfter": "1095", "reloads": [{"credits": "1000", "multiple": 1}]}),
    v("preview: an expired hold does not trigger auto-reload", "previewDrawdown",
      {"rateCard": CARD, "account": W("100", holds=[hold("c0", 300, "45")], autoReload=RELOAD),
       "usage": [chat("m", 10, at=at(400))]},
      {"balanceAfter": "95", "reloads": []}),
    v("a hold with negative credits", "previewDrawdown",
      {"rateCard": CARD, "account": W(holds=[hold("c0", 300, "-1")]), "usage": []},
      error={"code": "negative_amount", "field": "account.holds[0].credits"}),
    v("two holds with one id", "authorizeCall",
      {"rateCard": CARD, "account": W(holds=[hold("c0", 300, "45"), hold("c0", 300, "45")]),
       "call": {"direction": "outbound", "at": T0}},
      error={"code": "duplicate_id", "field": "account.holds[1].id"}),
]

n = 0
for fname, vs in [("seeds.json", seeds), ("quote.json", quote), ("drawdown.json", drawdown),
                  ("authorize.json", authorize), ("reload.json", reload), ("alerts.json", alerts),
                  ("errors.json", errors), ("live.json", live)]:
    n += write(fname, vs)
print(n, "vectors")
