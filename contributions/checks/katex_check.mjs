// Parses TeX with KaTeX, the library the site renders math with, for contributions/checks/katex.py.
// stdin: JSON [{"tex": "...", "display": true}]; stdout: JSON [{"index": 0, "message": "..."}]
// for each formula KaTeX refuses. Nothing is rendered to a page and no file is written.
import katex from "katex";

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const errors = [];
  JSON.parse(input).forEach((item, index) => {
    try {
      katex.renderToString(item.tex, { displayMode: Boolean(item.display), throwOnError: true, strict: "ignore" });
    } catch (error) {
      errors.push({ index, message: String(error.message || error) });
    }
  });
  process.stdout.write(JSON.stringify(errors));
});
