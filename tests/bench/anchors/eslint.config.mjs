// ESLint as a Convex app sets it up (docs.convex.dev/linting/eslint): the TypeScript parser
// (without type information: the fast setting) and the Convex plugin's recommended rules. Run with
// `--config` from the project's folder, which is then the base path.
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";
import convexPlugin from "@convex-dev/eslint-plugin";

export default defineConfig([
  { ignores: ["**/node_modules/**", "**/_generated/**"] },
  { files: ["**/*.ts", "**/*.tsx", "**/*.js", "**/*.mjs"], languageOptions: { parser: tseslint.parser } },
  ...convexPlugin.configs.recommended,
]);
