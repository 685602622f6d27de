"""Writes tests/vectors/tax.json (quoteTopUp, SEMANTICS 13) and tests/vectors/vat_ids.json.

VAT amounts come from oracle.py's Fraction rounding; the rates expected are written here from
the member states' laws, not read from src/tax/vat_rates.json, so the vectors check the table too.
vat_ids.json asks python-stdnum (pip install python-stdnum==2.2) which of a set of drawn
numbers are valid VAT IDs: the engine's own rules (src/tax/vat_id.rs) must agree with it.
Run: python3 tests/gen/tax_vectors.py"""
import json, os, random
from fractions import Fraction as F
from oracle import round_frac
from stdnum.eu import vat as stdvat

OUT = os.path.join(os.path.dirname(__file__), "..", "vectors")
EUR = {"currency": "EUR", "creditsPerUnit": "100"}
JPY = {"currency": "JPY", "creditsPerUnit": "1"}
USD = {"currency": "USD", "creditsPerUnit": "100"}
NOW = "2026-11-30T10:00:00Z"
SELLER = {"country": "DE", "vatId": "DE136695976"}
FR_VAT = "FR40303265045"

# Standard rates in force on 2026-11-30 (national VAT acts; recent: FI 25.5 from 2024-09-01,
# SK 23 from 2025-01-01, EE 24 from 2025-07-01, RO 21 from 2025-08-01).
CURRENT = {"AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
           "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
           "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
           "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23"}


def v(name, input, expect=None, error=None):
    d = {"name": name, "op": "quoteTopUp", "input": input}
    if error is not None:
        d["expectError"] = error
    else:
        d["expect"] = expect
    return d


def quote(customer, amount="100.00", at=NOW, card=EUR, seller=SELLER, **extra):
    d = {"rateCard": card, "amount": amount, "at": at, "seller": seller, "customer": customer}
    d.update(extra)
    return d


def money(x, dp):
    return round_frac(F(x), dp, "half_up")


def taxed(net, rate, dp=2, cpu="100", treatment="destination", country=None):
    tax = round_frac(F(net) * F(rate) / 100, dp, "half_up")
    e = {"net": money(net, dp), "taxRate": rate, "tax": tax,
         "gross": money(F(net) + F(tax), dp), "credits": str(F(net) * F(cpu)).split("/")[0],
         "treatment": treatment}
    if country:
        e["taxCountry"] = country
    return e


REVERSE_NOTE = ("Reverse charge: VAT to be accounted for by the recipient (Directive 2006/112/EC "
                "art. 196). Supplier VAT ID DE136695976, customer VAT ID FR40303265045")

tax = [
    v("domestic: a German customer of a German seller pays 19%", quote({"country": "DE"}),
      dict(taxed("100", "19", treatment="domestic", country="DE"), currency="EUR", note="VAT 19% (DE)")),
    v("domestic: a German business with a verified VAT ID still pays German VAT",
      quote({"country": "DE", "vatId": "DE 136 695 976", "vatIdVerified": True}),
      taxed("100", "19", treatment="domestic", country="DE")),
    v("reverse charge: a French business with a verified VAT ID pays 0%",
      quote({"country": "FR", "vatId": FR_VAT, "vatIdVerified": True}),
      {"treatment": "reverse_charge", "taxRate": "0", "tax": "0.00", "gross": "100.00",
       "credits": "10000", "note": REVERSE_NOTE}),
    v("reverse charge: the note shows the VAT IDs in canonical form",
      quote({"country": "FR", "vatId": "fr 40 303 265 045", "vatIdVerified": True}),
      {"treatment": "reverse_charge", "note": REVERSE_NOTE}),
    v("reverse charge: Greece's VAT IDs say EL",
      quote({"country": "GR", "vatId": "GR094259216", "vatIdVerified": True}),
      {"treatment": "reverse_charge", "tax": "0.00",
       "note": REVERSE_NOTE.replace("FR40303265045", "EL094259216")}),
    v("destination: a French consumer pays French VAT", quote({"country": "FR"}),
      dict(taxed("100", "20", country="FR"),
           note="VAT 20% (FR): the customer's member state (OSS, Directive 2006/112/EC art. 58)")),
    v("destination: a VAT ID that is not verified does not make reverse charge",
      quote({"country": "FR", "vatId": FR_VAT}), taxed("100", "20", country="FR")),
    v("destination: vatIdVerified false is the same",
      quote({"country": "FR", "vatId": FR_VAT, "vatIdVerified": False}), taxed("100", "20", country="FR")),
    v("outside scope: a customer in the United States pays no EU VAT", quote({"country": "US"}),
      {"treatment": "outside_scope", "taxRate": "0", "tax": "0.00", "gross": "100.00",
       "note": "Not subject to EU VAT: the customer is established outside the EU (Directive 2006/112/EC art. 59)"}),
    v("outside scope: a Swiss VAT ID is carried, not checked",
      quote({"country": "CH", "vatId": "CHE-123.456.788 MWST", "vatIdVerified": True}),
      {"treatment": "outside_scope", "tax": "0.00"}),
    v("outside scope: the United Kingdom is outside the EU", quote({"country": "GB"}),
      {"treatment": "outside_scope", "tax": "0.00"}),
    # -- rounding: once per invoice and rate, half-up to the minor unit
    v("VAT at exactly half a cent rounds up (0.50 at 19% = 0.095)", quote({"country": "DE"}, "0.50"),
      taxed("0.50", "19", treatment="domestic", country="DE")),
    v("VAT below half a cent rounds down (10.05 at 25.5% = 2.56275)", quote({"country": "FI"}, "10.05"),
      taxed("10.05", "25.5", country="FI")),
    v("VAT above half a cent rounds up (0.07 at 27% = 0.0189)", quote({"country": "HU"}, "0.07"),
      taxed("0.07", "27", country="HU")),
    v("a cent of VAT on a small top-up (0.02 at 24% = 0.0048 rounds to 0)", quote({"country": "EE"}, "0.02"),
      taxed("0.02", "24", country="EE")),
    v("a zero-decimal currency rounds to whole yen (1050 at 21% = 220.5)",
      quote({"country": "NL"}, "1050", card=JPY), taxed("1050", "21", dp=0, cpu="1", country="NL")),
    v("a zero-decimal currency rounds down below the half (1049 at 21% = 220.29)",
      quote({"country": "NL"}, "1049", card=JPY), taxed("1049", "21", dp=0, cpu="1", country="NL")),
    v("a seller may invoice EU customers in US dollars", quote({"country": "IT"}, "9.99", card=USD),
      dict(taxed("9.99", "22", country="IT"), currency="USD")),
    # -- rates over time: the rate in force at the quote's instant, from 00:00 local time
    v("Slovakia: 20% until 2024-12-31 23:59:59 in Bratislava", quote({"country": "SK"}, at="2024-12-31T22:59:59Z"),
      taxed("100", "20", country="SK")),
    v("Slovakia: 23% from 2025-01-01 00:00 in Bratislava", quote({"country": "SK"}, at="2024-12-31T23:00:00Z"),
      taxed("100", "23", country="SK")),
    v("Estonia: 22% until 2025-06-30 in Tallinn", quote({"country": "EE"}, at="2025-06-30T20:59:59Z"),
      taxed("100", "22", country="EE")),
    v("Estonia: 24% from 2025-07-01 00:00 in Tallinn", quote({"country": "EE"}, at="2025-06-30T21:00:00Z"),
      taxed("100", "24", country="EE")),
    v("Romania: 19% until 2025-07-31 in Bucharest", quote({"country": "RO"}, at="2025-07-31T20:59:59Z"),
      taxed("100", "19", country="RO")),
    v("Romania: 21% from 2025-08-01 00:00 in Bucharest", quote({"country": "RO"}, at="2025-07-31T21:00:00Z"),
      taxed("100", "21", country="RO")),
    v("Finland: 25.5% from 2024-09-01 00:00 in Helsinki", quote({"country": "FI"}, at="2024-08-31T21:00:00Z"),
      taxed("100", "25.5", country="FI")),
    v("Finland: 24% the second before", quote({"country": "FI"}, at="2024-08-31T20:59:59Z"),
      taxed("100", "24", country="FI")),
    v("Germany: 16% in the second half of 2020", quote({"country": "DE"}, at="2020-08-15T12:00:00+02:00"),
      taxed("100", "16", treatment="domestic", country="DE")),
    v("Luxembourg: 16% during 2023", quote({"country": "LU"}, at="2023-06-01T00:00:00Z"),
      taxed("100", "16", country="LU")),
    v("before the table begins there is no rate", quote({"country": "FR"}, at="2014-06-01T00:00:00Z"),
      error={"code": "missing_rate", "field": "at"}),
    # -- the caller's own table
    v("a caller's table replaces the shipped one",
      quote({"country": "FR"}, rates=[{"country": "FR", "validFrom": "2026-01-01T00:00:00+01:00", "standard": "5.5"}]),
      taxed("100", "5.5", country="FR")),
    v("a caller's table is read by instant",
      quote({"country": "FR"}, at="2025-12-31T22:59:59Z",
            rates=[{"country": "FR", "validFrom": "2025-01-01T00:00:00+01:00", "standard": "20"},
                   {"country": "FR", "validFrom": "2026-01-01T00:00:00+01:00", "standard": "7.7"}]),
      taxed("100", "20", country="FR")),
    v("a caller's table without the country's rate",
      quote({"country": "IT"}, rates=[{"country": "FR", "validFrom": "2026-01-01T00:00:00+01:00", "standard": "20"}]),
      error={"code": "missing_rate", "field": "rates"}),
    v("a caller's rate of 100% or more",
      quote({"country": "FR"}, rates=[{"country": "FR", "validFrom": "2026-01-01T00:00:00Z", "standard": "100"}]),
      error={"code": "invalid_value", "field": "rates[0].standard"}),
    v("a caller's rate as a float", quote({"country": "FR"}, rates=[{"country": "FR", "validFrom": "2026-01-01T00:00:00Z", "standard": 0.2}]),
      error={"code": "invalid_decimal", "field": "rates[0].standard"}),
    v("a caller's table with two rates from one instant",
      quote({"country": "FR"}, rates=[{"country": "FR", "validFrom": "2026-01-01T00:00:00Z", "standard": "20"},
                                      {"country": "FR", "validFrom": "2026-01-01T00:00:00Z", "standard": "21"}]),
      error={"code": "invalid_value", "field": "rates[1].validFrom"}),
    # -- bad input
    v("money precision: a euro amount has at most 2 decimals", quote({"country": "DE"}, "10.001"),
      error={"code": "invalid_money_precision", "field": "amount"}),
    v("money precision: a yen amount has none", quote({"country": "DE"}, "100.5", card=JPY),
      error={"code": "invalid_money_precision", "field": "amount"}),
    v("an amount as a JSON float", quote({"country": "DE"}, 10.5),
      error={"code": "invalid_decimal", "field": "amount"}),
    v("a negative amount", quote({"country": "DE"}, "-10.00"), error={"code": "negative_amount", "field": "amount"}),
    v("a zero amount", quote({"country": "DE"}, "0"), error={"code": "invalid_value", "field": "amount"}),
    v("an unknown country", quote({"country": "XX"}), error={"code": "invalid_country", "field": "customer.country"}),
    v("a country in lower case", quote({"country": "fr"}), error={"code": "invalid_country", "field": "customer.country"}),
    v("EL is a VAT prefix, not a country", quote({"country": "EL"}), error={"code": "invalid_country", "field": "customer.country"}),
    v("a seller outside the EU", quote({"country": "DE"}, seller={"country": "US", "vatId": "US1"}),
      error={"code": "invalid_country", "field": "seller.country"}),
    v("a VAT ID that does not fit its country's format", quote({"country": "FR", "vatId": "FR123"}),
      error={"code": "invalid_vat_id", "field": "customer.vatId"}),
    v("another member state's VAT ID", quote({"country": "FR", "vatId": "DE136695976", "vatIdVerified": True}),
      error={"code": "invalid_vat_id", "field": "customer.vatId"}),
    v("a VAT ID with a wrong check digit", quote({"country": "FR", "vatId": "FR40303265046", "vatIdVerified": True}),
      error={"code": "invalid_vat_id", "field": "customer.vatId"}),
    v("the seller's VAT ID is checked too", quote({"country": "DE"}, seller={"country": "DE", "vatId": "DE136695977"}),
      error={"code": "invalid_vat_id", "field": "seller.vatId"}),
    v("verified, but no VAT ID", quote({"country": "FR", "vatIdVerified": True}),
      error={"code": "missing_field", "field": "customer.vatId"}),
    v("the seller needs a VAT ID", quote({"country": "FR"}, seller={"country": "DE"}),
      error={"code": "missing_field", "field": "seller.vatId"}),
    v("an unknown field", quote({"country": "FR"}, vatRate="20"), error={"code": "unknown_field", "field": "vatRate"}),
]

seller_for = lambda c: {"country": "FR", "vatId": FR_VAT} if c == "DE" else SELLER
for c, rate in CURRENT.items():
    treatment = "domestic" if c == "DE" else "destination"
    tax.append(v(f"{c}: the standard rate today is {rate}%", quote({"country": c}, "10.05"),
                 taxed("10.05", rate, treatment=treatment, country=c)))


# ---- VAT IDs: drawn numbers, judged by python-stdnum

def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def date_digits(rng):
    return f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


SHAPES = {
    "AT": [lambda r: "U" + digits(r, 8)],
    "BE": [lambda r: r.choice("01") + digits(r, 9)],
    "BG": [lambda r: digits(r, 9), lambda r: date_digits(r) + digits(r, 4), lambda r: digits(r, 10)],
    "CY": [lambda r: r.choice("013459") + digits(r, 7) + r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")],
    "CZ": [lambda r: r.choice("12345678") + digits(r, 7), lambda r: "6" + digits(r, 8),
           lambda r: date_digits(r) + digits(r, 4)],
    "DE": [lambda r: r.choice("123456789") + digits(r, 8)],
    "DK": [lambda r: r.choice("123456789") + digits(r, 7)],
    "EE": [lambda r: "10" + digits(r, 7)],
    "GR": [lambda r: digits(r, 9)],
    "ES": [lambda r: r.choice("ABCDEFGHJNPQRSUVW") + digits(r, 7) + r.choice("0123456789ABCDEFGHIJ"),
           lambda r: digits(r, 8) + r.choice("TRWAGMYFPDXBNJZSQVHLCKE"),
           lambda r: r.choice("XYZKLM") + digits(r, 7) + r.choice("TRWAGMYFPDXBNJZSQVHLCKE")],
    "FI": [lambda r: digits(r, 8)],
    "FR": [lambda r: digits(r, 11), lambda r: r.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") +
           r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + digits(r, 9)],
    "HR": [lambda r: digits(r, 11)],
    "HU": [lambda r: digits(r, 8)],
    "IE": [lambda r: digits(r, 7) + r.choice("WABCDEFGHIJKLMNOPQRSTUV"),
           lambda r: digits(r, 7) + r.choice("WABCDEFGHIJKLMNOPQRSTUV") + r.choice("AH"),
           lambda r: digits(r, 1) + r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ+*") + digits(r, 5) +
           r.choice("WABCDEFGHIJKLMNOPQRSTUV")],
    "IT": [lambda r: digits(r, 7) + f"{r.randint(1, 100):03d}" + digits(r, 1)],
    "LT": [lambda r: digits(r, 7) + "1" + digits(r, 1), lambda r: digits(r, 10) + "1" + digits(r, 1)],
    "LU": [lambda r: digits(r, 8)],
    "LV": [lambda r: r.choice("456789") + digits(r, 10),
           lambda r: f"{r.randint(1, 28):02d}{r.randint(1, 12):02d}{r.randint(0, 99):02d}" + r.choice("12") + digits(r, 4)],
    "MT": [lambda r: r.choice("123456789") + digits(r, 7)],
    "NL": [lambda r: digits(r, 9) + "B" + r.choice(["01", "02", "12"])],
    "PL": [lambda r: digits(r, 10)],
    "PT": [lambda r: r.choice("125689") + digits(r, 8)],
    "RO": [lambda r: r.choice("123456789") + digits(r, r.randint(1, 9)),
           lambda r: r.choice("1256") + date_digits(r) + f"{r.randint(1, 46):02d}" + digits(r, 4)],
    "SE": [lambda r: digits(r, 10) + "01"],
    "SI": [lambda r: r.choice("123456789") + digits(r, 7)],
    "SK": [lambda r: r.choice("123456789") + digits(r, 1) + r.choice("234789") + digits(r, 7),
           lambda r: date_digits(r) + digits(r, 4)],
}
PER_SHAPE = 3


def prefix(c):
    return "EL" if c == "GR" else c


def draw(rng, c, shape, want_valid):
    for _ in range(200000):
        n = shape(rng)
        if stdvat.is_valid(prefix(c) + n) == want_valid:
            return n
    raise RuntimeError(f"no {'valid' if want_valid else 'invalid'} {c} number drawn")


def near_miss(rng, c, valid):
    """A valid number with one character changed that python-stdnum refuses."""
    for _ in range(1000):
        i = rng.randrange(len(valid))
        ch = valid[i]
        pool = "0123456789" if ch.isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        n = valid[:i] + rng.choice(pool.replace(ch, "")) + valid[i + 1:]
        if not stdvat.is_valid(prefix(c) + n):
            return n
    raise RuntimeError(c)


rng = random.Random(13)
ids = []
for c in sorted(SHAPES):
    seller = seller_for(c)
    for k, shape in enumerate(SHAPES[c]):
        for j in range(PER_SHAPE):
            good = draw(rng, c, shape, True)
            note = REVERSE_NOTE.split("Supplier")[0] + \
                f"Supplier VAT ID {seller['vatId']}, customer VAT ID {prefix(c)}{good}"
            ids.append(v(f"{c} form {k + 1}: {prefix(c)}{good} is valid (python-stdnum)",
                         quote({"country": c, "vatId": prefix(c) + good, "vatIdVerified": True}, seller=seller),
                         {"treatment": "reverse_charge", "note": note}))
            bad = near_miss(rng, c, good)
            ids.append(v(f"{c} form {k + 1}: {prefix(c)}{bad} is not (python-stdnum)",
                         quote({"country": c, "vatId": prefix(c) + bad, "vatIdVerified": True}, seller=seller),
                         error={"code": "invalid_vat_id", "field": "customer.vatId"}))

for name, vs in [("tax.json", tax), ("vat_ids.json", ids)]:
    names = [x["name"] for x in vs]
    assert len(names) == len(set(names)), name
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(vs, f, indent=1)
        f.write("\n")
    print(name, len(vs), "vectors")
