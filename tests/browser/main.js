// A Vite-built page that imports the npm package by name, as a dashboard would, and
// exposes a runner for the test to drive: every vector through the package's object API.
import { init, quoteCall, evalCanonical, canonical, errorDocument, isDrawdownError, version } from "drawdown";
import * as dd from "drawdown";

const OPS = [
  "quoteCall",
  "previewDrawdown",
  "authorizeCall",
  "validateAutoReload",
  "evaluateAlerts",
  "startCall",
  "extendCall",
  "endCall",
];

window.runCases = (cases) =>
  cases.map(({ op, input }) => {
    if (!OPS.includes(op)) return evalCanonical(op, JSON.stringify(input));
    try {
      return canonical(dd[op](input));
    } catch (e) {
      if (!isDrawdownError(e)) return `threw ${e}`;
      return canonical(errorDocument(e));
    }
  });

await init();
const q = quoteCall({
  rateCard: { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" },
              tollFreeSurcharge: { perMinute: "2" } },
  call: { direction: "inbound", tollFree: true, connectedSeconds: 120 },
});
document.getElementById("status").textContent = `ready ${version()} ${q.totalCredits}`;
