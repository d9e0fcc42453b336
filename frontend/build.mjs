// Builds the live editor bundle: `npm run build` -> static/vendor/editor.bundle.js.
//
// The bundle is committed, so serving the site (`make run`) needs no Node. Rebuild and
// commit it after changing anything in frontend/ or upgrading a package in package.json.

import { mkdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "static", "vendor", "editor.bundle.js");
mkdirSync(dirname(outfile), { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(root, "frontend", "editor.js")],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  legalComments: "eof",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
  banner: {
    js: "/* LearnAI live editor. Built from frontend/ by `npm run build`; do not edit by hand. */",
  },
});

const size = statSync(outfile).size;
const inputs = Object.entries(
  result.metafile.outputs[relative(process.cwd(), outfile)]?.inputs ?? {},
);
const byPackage = new Map();
for (const [path, { bytesInOutput }] of inputs) {
  const match = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const name = match ? match[1] : "frontend";
  byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
}
console.log(`${relative(root, outfile)}: ${(size / 1024).toFixed(1)} KiB`);
for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${name.padEnd(32)} ${(bytes / 1024).toFixed(1)} KiB`);
}
