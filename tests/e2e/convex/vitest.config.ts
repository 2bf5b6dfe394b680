// vitest for the e2e tests: convex-test runs Convex functions in the edge runtime, as the
// Convex docs set it up. The tests run on the work copies that driver.mjs prepares.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    include: ["work/*/widened/tests/**/*.test.ts"],
    silent: "passed-only",
    server: { deps: { inline: ["convex-test", "@convex-dev/migrations"] } },
  },
});
