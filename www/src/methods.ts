// Payment methods (seed 002: auto-recharge needs a saved payment method): the saved cards,
// one made the default, one removed, one added through the provider's setup. A card is saved
// in two steps, as with Stripe's SetupIntent: the server starts a setup and hands out its
// client secret; the card is confirmed with it (here the test provider takes the card's test
// number in place of the provider's own form). The auto-recharge form chooses from these.
import { problem } from "./billing";
import { $, el, input, sayAt, text } from "./dom";
import { get, send } from "./live";

export interface SavedMethod {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  isDefault: boolean;
}

interface Methods {
  methods: SavedMethod[];
  defaultId: string | null;
}

let token = "";
let onChanged: (m: SavedMethod[]) => void = () => {};
let mounted = false;

const BRANDS: Record<string, string> = { visa: "Visa", mastercard: "Mastercard" };

export function cardWords(m: SavedMethod): string {
  return `${BRANDS[m.brand] ?? m.brand} ending ${m.last4}`;
}

function expiry(m: SavedMethod): string {
  return `${String(m.expMonth).padStart(2, "0")}/${m.expYear}`;
}

function row(m: SavedMethod): HTMLTableRowElement {
  const msg = $("pm-msg");
  const act = async (what: Promise<unknown>) => {
    try {
      await what;
      msg.replaceChildren(el("span", { class: "ok" }, "Saved."));
      await refresh();
    } catch (e) {
      problem(msg, e);
    }
  };
  const makeDefault = el("button", { type: "button", class: "link" }, "Make default");
  makeDefault.addEventListener("click", () => void act(send("PUT", `/billing/payment-methods/${encodeURIComponent(m.id)}/default`, token)));
  const remove = el("button", { type: "button", class: "link" }, "Remove");
  remove.setAttribute("aria-label", `Remove ${cardWords(m)}`);
  remove.addEventListener("click", () => void act(send("DELETE", `/billing/payment-methods/${encodeURIComponent(m.id)}`, token)));
  return el(
    "tr",
    { "data-method": m.id },
    el("th", { scope: "row" }, cardWords(m)),
    el("td", { "data-label": "Expires" }, expiry(m)),
    el("td", { "data-label": "Default" }, m.isDefault ? "Default" : "—"),
    el("td", { "data-label": "" }, m.isDefault ? "" : makeDefault, remove),
  );
}

async function refresh(): Promise<void> {
  const m = await get<Methods>("/billing/payment-methods", token);
  const body = $("pm-table").querySelector("tbody")!;
  body.replaceChildren(...m.methods.map(row));
  if (!m.methods.length) body.append(el("tr", {}, el("td", { colspan: "4" }, "No saved card yet: add one below to turn on auto-recharge.")));
  onChanged(m.methods);
}

/** The card as typed, checked before anything is sent: 12-19 digits, a month and a year. */
function typedCard(): { number: string; expMonth: number; expYear: number } | null {
  const number = (text("pm-number") ?? "").replace(/[\s-]/g, "");
  const exp = /^(\d{1,2})\s*\/\s*(\d{4})$/.exec(text("pm-exp") ?? "");
  const numberOk = /^\d{12,19}$/.test(number);
  const month = exp ? Number(exp[1]) : 0;
  const expOk = exp !== null && month >= 1 && month <= 12;
  sayAt(input("pm-number"), $("pm-number-msg"), number === "" || numberOk ? null : "A card number is 12 to 19 digits.");
  sayAt(input("pm-exp"), $("pm-exp-msg"), text("pm-exp") === null || expOk ? null : "Write the expiry as month/year, such as 12/2030.");
  return numberOk && expOk ? { number, expMonth: month, expYear: Number(exp![2]) } : null;
}

async function addCard(): Promise<void> {
  const card = typedCard();
  if (!card) return;
  const slot = $("pm-number-msg");
  try {
    const setup = await send<{ setupId: string; clientSecret: string }>("POST", "/billing/payment-methods/setup", token, {});
    await send("POST", "/billing/payment-methods", token, { setupId: setup.setupId, clientSecret: setup.clientSecret, card });
    input("pm-number").value = "";
    input("pm-exp").value = "";
    $<HTMLButtonElement>("pm-save").disabled = true;
    $("pm-msg").replaceChildren(el("span", { class: "ok" }, "Card saved."));
    await refresh();
  } catch (e) {
    problem(slot, e, input("pm-number"));
  }
}

/** Show the saved cards; `changed` hears the list whenever it changes (the auto-recharge
 * form's choices). */
export async function showMethods(session: string, changed: (m: SavedMethod[]) => void, provider: string): Promise<void> {
  token = session;
  onChanged = changed;
  $("methods").hidden = false;
  if (!mounted) {
    mounted = true;
    $("pm-provider").textContent = provider;
    $("pm-form").addEventListener("input", () => {
      $<HTMLButtonElement>("pm-save").disabled = typedCard() === null;
    });
    $("pm-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void addCard();
    });
  }
  await refresh();
}
