// Guards the shape of the function app (docs/architecture.md, "Layers").
// The C# compiler accepts any reference between namespaces of one project, so
// nothing stops the token core (Tokens, Caching, Credentials, ...) from growing
// cycles between its folders, files too large to review, or a dependency on the
// Azure Functions / ASP.NET Core host that only Functions/ should know about.
// This script makes those rules checkable in CI and before a commit:
//   node tools/check-architecture.mjs [--why] [directory]   (default: FunctionApp)
// It reads source text only (no build, no packages), so it is deliberately
// approximate: a folder "uses" another when its code names that namespace.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 300;
const HOST_FOLDER = 'Functions';
const HOST_API = /(?<!\w)Microsoft\.(Azure\.Functions|AspNetCore)(?!\w)/;

const args = process.argv.slice(2);
const why = args.includes('--why');
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(repoRoot, args.find((a) => !a.startsWith('--')) ?? 'FunctionApp');
// Paths are printed as "FunctionApp/Tokens/X.cs" wherever the directory lives.
const show = (file) => relative(dirname(root), file).split(sep).join('/');

function* csFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'bin' && entry.name !== 'obj') yield* csFiles(path);
    else if (entry.isFile() && entry.name.endsWith('.cs')) yield path;
  }
}

// Comments and string contents may name anything ("TokenFunctions.Tokens" as a
// log category, a namespace in a remark), so they are blanked out before
// matching. Newlines are kept so that line numbers still point at the source.
// Holes of interpolated strings are blanked too: simple beats exact here.
const LITERAL = /(\$*@?\$*)("{3,}|")|'/y;
function stripCommentsAndStrings(src) {
  const blank = (text) => text.replace(/[^\n]/g, ' ');
  const endOf = (token, from) => {
    const at = src.indexOf(token, from);
    return at < 0 ? src.length : at + token.length;
  };
  let out = '';
  let i = 0;
  while (i < src.length) {
    let end = -1;
    if (src.startsWith('//', i)) end = endOf('\n', i); // also covers ///
    else if (src.startsWith('/*', i)) end = endOf('*/', i + 2);
    else if ('"$@\''.includes(src[i])) {
      LITERAL.lastIndex = i;
      const m = LITERAL.exec(src);
      if (m) end = literalEnd(src, LITERAL.lastIndex, m);
    }
    if (end === -1) { out += src[i++]; continue; }
    out += blank(src.slice(i, end));
    i = end;
  }
  return out;
}

// Returns the index just past a literal whose opening ends at `from`.
function literalEnd(src, from, [opening, prefix = '', quotes = '']) {
  if (quotes.length >= 3) { // raw string: """ ... """
    const close = src.indexOf(quotes, from);
    return close < 0 ? src.length : close + quotes.length;
  }
  const verbatim = prefix.includes('@');
  const closing = opening === "'" ? "'" : '"';
  for (let j = from; j < src.length; j++) {
    if (verbatim && src.startsWith('""', j)) j++;
    else if (!verbatim && src[j] === '\\') j++;
    else if (src[j] === closing || (!verbatim && src[j] === '\n')) return j + 1;
  }
  return src.length;
}

const files = [...csFiles(root)].sort();
const folderOf = (file) => {
  const parts = relative(root, file).split(sep);
  return parts.length > 1 ? parts[0] : null; // root files (Program.cs) compose everything
};
const folders = [...new Set(files.map(folderOf).filter(Boolean))].sort();
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// "TokenFunctions.B" in any form (using, alias, global using, full name), or
// "B.Type" relying on C# resolving B from the enclosing TokenFunctions namespace.
// The look-behind keeps "System.Diagnostics.Activity" from meaning Diagnostics.
const refersTo = new Map(folders.map((b) => [b,
  new RegExp(`(?<!\\w)TokenFunctions\\.${escape(b)}(?!\\w)|(?<![\\w.])${escape(b)}\\.[A-Z]`)]));

const edges = new Map(folders.map((f) => [f, new Map()])); // A -> (B -> "file:line")
const problems = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lineCount = text.split('\n').length - (text.endsWith('\n') ? 1 : 0); // as an editor counts
  if (lineCount > MAX_LINES) problems.push(`${show(file)} has ${lineCount} lines (limit ${MAX_LINES}).`);
  const from = folderOf(file);
  if (!from) continue;
  const lines = stripCommentsAndStrings(text).split('\n');
  lines.forEach((line, n) => {
    const where = `${show(file)}:${n + 1}`;
    for (const [to, pattern] of refersTo) {
      if (to !== from && !edges.get(from).has(to) && pattern.test(line)) edges.get(from).set(to, where);
    }
  });
  if (from !== HOST_FOLDER) {
    const n = lines.findIndex((line) => HOST_API.test(line));
    if (n >= 0) problems.push(`${show(file)}:${n + 1} uses ${lines[n].match(HOST_API)[0]}; ` +
      `only ${HOST_FOLDER}/ may know the Functions host.`);
  }
}

// Tarjan's algorithm. A strongly connected component of several folders is a
// knot that can only be understood, tested and changed as a whole.
function stronglyConnectedComponents() {
  const index = new Map(), low = new Map(), stack = [], components = [];
  const visit = (v) => {
    index.set(v, index.size); low.set(v, index.get(v)); stack.push(v);
    for (const w of edges.get(v).keys()) {
      if (!index.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v), low.get(w)));
    }
    if (low.get(v) === index.get(v)) components.push(stack.splice(stack.indexOf(v)).sort());
  };
  folders.forEach((f) => index.has(f) || visit(f));
  return components;
}

const edge = (a, b) => `    ${a} -> ${b}  (${edges.get(a).get(b)})`;
for (const a of folders) {
  const targets = [...edges.get(a).keys()].sort();
  console.log(`${a} -> ${targets.length ? targets.join(', ') : '(none)'}`);
  if (why) targets.forEach((b) => console.log(edge(a, b)));
}
console.log();

const twoWay = (a, b) => edges.get(a).has(b) && edges.get(b).has(a);
for (const [i, a] of folders.entries()) {
  for (const b of folders.slice(i + 1)) {
    if (twoWay(a, b)) problems.push(`Cycle: ${a} ⇄ ${b}\n${edge(a, b)}\n${edge(b, a)}`);
  }
}
// A knot of three or more folders; its two-way edges are already shown as pairs.
for (const knot of stronglyConnectedComponents().filter((c) => c.length > 2)) {
  const oneWay = knot.flatMap((a) => knot.filter((b) => edges.get(a).has(b) && !twoWay(a, b)).map((b) => edge(a, b)));
  const pairs = !knot.some((a) => knot.some((b) => twoWay(a, b))) ? ''
    : oneWay.length ? ' (the pairs above, plus)' : ' (joined by the pairs above)';
  problems.push([`Cycle through ${knot.length} folders: ${knot.join(', ')}${pairs}`, ...oneWay].join('\n'));
}

if (problems.length) {
  for (const p of problems) console.error(`FAIL ${p}`);
  console.error(`\n${problems.length} architecture problem(s) in ${basename(root)}/.`);
  process.exit(1);
}
console.log(`No cycles among ${folders.length} folders; no file over ${MAX_LINES} lines; ` +
  `the host stays in ${HOST_FOLDER}/.`);
