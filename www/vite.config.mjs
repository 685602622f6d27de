// The dashboard is built with Vite against the package in ../pkg (built by
// scripts/build-pkg.sh), imported by its name "drawdown" exactly as an app would import it
// from npm. Output: www/dist, which `drawdown serve --static www/dist` serves at /.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  logLevel: "warn",
  resolve: { alias: { drawdown: fileURLToPath(new URL("../pkg/index.js", import.meta.url)) } },
  // Two pages: the customer's billing portal (index.html) and the developers' pricing lab.
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: { input: { portal: `${here}index.html`, lab: `${here}lab.html` } },
  },
});
