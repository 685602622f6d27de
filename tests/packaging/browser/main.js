// A page that uses the package as a browser app does: import by name, `await init()`, price.
import { init, createPricer, quoteCall, addDecimals } from "drawdown";

const rateCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" }, tollFreeSurcharge: { perMinute: "2" } };
const call = { direction: "inbound", tollFree: true, connectedSeconds: 84 };
const status = document.getElementById("status");
try {
  await init();
  const pricer = createPricer({ rateCard });
  const q = pricer.quoteCall(call);
  pricer.free();
  // 120 billable seconds at 9 + 2 credits a minute: 22 credits, $0.22.
  status.textContent = `ready ${q.totalCredits} ${quoteCall({ rateCard, call }).totalMoney.amount} ${addDecimals(q.totalCredits, "0.5")}`;
} catch (e) {
  status.textContent = `failed ${e}`;
}
