"""An independent reference for the rating rules (SEMANTICS.md 1 and 3), written from the
spec with Python's Fraction, not from the Rust code. gen_vectors.py uses it to compute the
expected numbers of the generated quote vectors."""
from fractions import Fraction as F
import math


def billable(d, first, nxt):
    if d == 0:
        return 0
    if d <= first:
        return first
    return first + math.ceil(F(d - first, nxt)) * nxt


def round_frac(x, dp, mode):
    """Round an exact rational once to dp places; returns a decimal string with dp places."""
    scaled = x * 10**dp
    sign = -1 if scaled < 0 else 1
    a = abs(scaled)
    q, r = divmod(a.numerator, a.denominator)
    rem = F(r, a.denominator)
    if mode == "down":
        bump = False
    elif mode == "up":
        bump = rem != 0
    elif mode == "half_up":
        bump = rem >= F(1, 2)
    elif mode == "half_even":
        bump = rem > F(1, 2) or (rem == F(1, 2) and q % 2 == 1)
    else:
        raise ValueError(mode)
    q = (q + (1 if bump else 0)) * sign
    return fmt(F(q, 10**dp), dp)


def fmt(x, dp):
    n = x * 10**dp
    assert n.denominator == 1
    n = n.numerator
    s = "-" if n < 0 else ""
    n = abs(n)
    if dp == 0:
        return s + str(n)
    digits = str(n).rjust(dp + 1, "0")
    return s + digits[:-dp] + "." + digits[-dp:]


def per_minute(seconds, rate, dp, mode):
    return round_frac(F(seconds) * F(rate) / 60, dp, mode)
