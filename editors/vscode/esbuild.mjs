// Bundles the extension into dist/extension.js (one file, `vscode` left to the host).
import * as esbuild from "esbuild";

await esbuild.build({
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  external: ["vscode"],
  format: "cjs",
  platform: "node",
  // VS Code 1.82 runs extensions on Node 18.
  target: "node18",
  sourcemap: process.env.NODE_ENV !== "production",
  minify: process.env.NODE_ENV === "production",
  logLevel: "warning",
});
