// A Cloudflare Worker using the package (the `workerd` export): price the posted call.
import { createPricer } from "drawdown";

const pricer = createPricer({
  rateCard: { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" }, tollFreeSurcharge: { perMinute: "2" } },
});

export default {
  async fetch(request) {
    const call = await request.json();
    return Response.json(pricer.quoteCall(call));
  },
};
