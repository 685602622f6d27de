// Node, CommonJS: `require` of the ES module package (Node 20.19+, 22.12+).
const { createPricer, openAccount, version } = require("drawdown");

const rateCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" }, tollFreeSurcharge: { perMinute: "2" } };
const pricer = createPricer({ rateCard });
const q = pricer.quoteCall({ direction: "inbound", tollFree: true, connectedSeconds: 84 });
const account = openAccount({ rateCard, account: { grants: [{ id: "w", type: "prepaid", remaining: "100" }] } });
const check = account.authorizeCall({ direction: "outbound", at: "2026-03-01T12:00:00Z" });
console.log(JSON.stringify({ version: version(), total: q.totalCredits, maxSeconds: check.maxSeconds }));
