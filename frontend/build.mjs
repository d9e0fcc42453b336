// Builds the front-end assets (`npm run build`):
//   static/vendor/editor.bundle.js  the live editor (frontend/editor.js)
//   static/vendor/math.bundle.js    KaTeX math rendering for document pages (frontend/math.js)
//   static/vendor/comments.bundle.js  comments on document pages (frontend/document-comments.js)
//   static/vendor/<name>.bundle.js  one per page script frontend/pages/<name>.js (live
//                                   community pages: notifications, rooms, groups, AMAs)
//   static/vendor/katex/            KaTeX's stylesheet and its woff2 fonts (woff/ttf dropped)
//
// The outputs are committed, so serving the site (`make run`) needs no Node. Rebuild and
// commit them after changing anything in frontend/ or upgrading a package in package.json.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "static", "vendor");
mkdirSync(vendor, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  legalComments: "eof",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
};

function report(result, outfile) {
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
}

// --- the live editor ---
const editorOut = join(vendor, "editor.bundle.js");
report(
  await esbuild.build({
    ...common,
    entryPoints: [join(root, "frontend", "editor.js")],
    outfile: editorOut,
    banner: {
      js: "/* LearnAI live editor. Built from frontend/ by `npm run build`; do not edit by hand. */",
    },
  }),
  editorOut,
);

// --- math on document pages: renders .math.inline / .math.block once the page is parsed ---
const mathOut = join(vendor, "math.bundle.js");
report(
  await esbuild.build({
    ...common,
    stdin: {
      contents: 'import { renderMathWhenReady } from "./math.js";\nrenderMathWhenReady();\n',
      resolveDir: join(root, "frontend"),
      sourcefile: "math-entry.js",
      loader: "js",
    },
    outfile: mathOut,
    banner: {
      js: "/* LearnAI math (KaTeX). Built from frontend/math.js by `npm run build`; do not edit by hand. */",
    },
  }),
  mathOut,
);

// --- comments on document pages: threads, highlights, "Comment" on a selection, live ---
const commentsOut = join(vendor, "comments.bundle.js");
report(
  await esbuild.build({
    ...common,
    entryPoints: [join(root, "frontend", "document-comments.js")],
    outfile: commentsOut,
    banner: {
      js: "/* LearnAI document comments. Built from frontend/ by `npm run build`; do not edit by hand. */",
    },
  }),
  commentsOut,
);

// --- page scripts: frontend/pages/<name>.js -> static/vendor/<name>.bundle.js ---
const pagesDir = join(root, "frontend", "pages");
const pageNames = existsSync(pagesDir) ? readdirSync(pagesDir) : [];
for (const name of pageNames.filter((n) => n.endsWith(".js")).sort()) {
  const pageOut = join(vendor, name.replace(/\.js$/, ".bundle.js"));
  report(
    await esbuild.build({
      ...common,
      entryPoints: [join(pagesDir, name)],
      outfile: pageOut,
      banner: {
        js: `/* LearnAI ${name}. Built from frontend/ by \`npm run build\`; do not edit by hand. */`,
      },
    }),
    pageOut,
  );
}

// --- KaTeX's stylesheet and fonts: woff2 only (every browser we target reads it) ---
const require = createRequire(import.meta.url);
const katexDist = join(dirname(require.resolve("katex/package.json")), "dist");
const katexOut = join(vendor, "katex");
rmSync(katexOut, { recursive: true, force: true });
mkdirSync(join(katexOut, "fonts"), { recursive: true });
const { version } = JSON.parse(readFileSync(join(katexDist, "..", "package.json"), "utf8"));
const css = readFileSync(join(katexDist, "katex.min.css"), "utf8").replace(
  /,url\(fonts\/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)/g,
  "",
);
if (/\.(?:woff|ttf)\)/.test(css)) throw new Error("katex.min.css still names woff/ttf fonts");
writeFileSync(
  join(katexOut, "katex.min.css"),
  `/* KaTeX ${version} (MIT), woff2 fonts only. Copied by frontend/build.mjs; do not edit. */\n${css}`,
);
let katexBytes = statSync(join(katexOut, "katex.min.css")).size;
for (const name of readdirSync(join(katexDist, "fonts"))) {
  if (!name.endsWith(".woff2")) continue;
  copyFileSync(join(katexDist, "fonts", name), join(katexOut, "fonts", name));
  katexBytes += statSync(join(katexOut, "fonts", name)).size;
}
copyFileSync(join(katexDist, "..", "LICENSE"), join(katexOut, "LICENSE"));
console.log(`${relative(root, katexOut)}/: ${(katexBytes / 1024).toFixed(1)} KiB (css + woff2 fonts)`);
