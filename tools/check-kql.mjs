// Checks the workbook's and the alert rules' queries (infra/monitoring/**/*.kql) offline: each is
// parsed and analysed by Kusto's own language service against the Application Insights tables they
// read, so a syntax error, a misspelt column or a wrong function fails here, not in the portal after
// a deployment. Only the tables and columns the queries may use are declared: a query that reaches
// for anything else fails too.
//   node tools/check-kql.mjs [directory]   (default: infra/monitoring)
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
require('@kusto/language-service-next/bridge.js');
require('@kusto/language-service-next/Kusto.Language.Bridge.js');
const Kusto = globalThis.Kusto.Language;

// Workspace-based Application Insights, as the component's Logs (and its workbooks and log alerts)
// expose it: the classic table and column names.
const common = 'timestamp:datetime, customDimensions:dynamic, operation_Name:string, operation_Id:string, ' +
  'operation_ParentId:string, cloud_RoleName:string, cloud_RoleInstance:string, appName:string, itemType:string, itemCount:int';
const tables = {
  customMetrics: `name:string, value:real, valueCount:int, valueSum:real, valueMin:real, valueMax:real, valueStdDev:real, ${common}`,
  requests: `id:string, name:string, url:string, success:bool, resultCode:string, duration:real, performanceBucket:string, customMeasurements:dynamic, ${common}`,
  dependencies: `id:string, target:string, type:string, name:string, data:string, success:bool, resultCode:string, duration:real, performanceBucket:string, customMeasurements:dynamic, ${common}`,
  traces: `message:string, severityLevel:int, ${common}`,
};
const database = new Kusto.Symbols.DatabaseSymbol.ctor('applicationinsights',
  Object.entries(tables).map(([name, columns]) => new Kusto.Symbols.TableSymbol.$ctor7(name, `(${columns})`, null)));
const globals = Kusto.GlobalState.Default.WithDatabase(database);

function* queries(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* queries(path);
    else if (entry.name.endsWith('.kql')) yield path;
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(repoRoot, process.argv[2] ?? 'infra/monitoring');
let checked = 0;
let errors = 0;
for (const file of [...queries(root)].sort()) {
  const text = readFileSync(file, 'utf8');
  const diagnostics = Kusto.KustoCode.ParseAndAnalyze(text, globals).GetDiagnostics();
  for (let i = 0; i < diagnostics.Count; i++) {
    const diagnostic = diagnostics.getItem(i);
    if (diagnostic.Severity !== 'Error') continue;
    const line = text.slice(0, diagnostic.Start).split('\n').length;
    console.error(`${relative(repoRoot, file)}:${line}: ${diagnostic.Message}`);
    errors++;
  }
  checked++;
}

if (checked === 0) {
  console.error(`No .kql file under ${relative(repoRoot, root) || '.'}.`);
  process.exit(1);
}
if (errors > 0) {
  console.error(`\n${errors} error(s) in the queries.`);
  process.exit(1);
}
console.log(`${checked} queries parse and name only known tables, columns and functions.`);
