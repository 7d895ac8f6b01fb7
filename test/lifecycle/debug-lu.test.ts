import { it } from "vitest";
import { startDeployment } from "../support/deployment.js";
it("debug", async () => {
  const d = await startDeployment();
  const t = await d.adminApi.createToken({ name: "x", scopes: [] });
  for (let r = 0; r < 3; r++) {
    const s = Date.now();
    for (let i = 0; i < 300; i++) await d.validation.validate(t.tokenValue);
    console.log("ms", Date.now() - s);
  }
  await d.close();
});
