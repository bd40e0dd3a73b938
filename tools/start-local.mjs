#!/usr/bin/env node
// `npm start`: runs TokenFunctions locally with one command, on Linux, macOS and Windows.
// Installs the pinned Azurite when it is missing, starts it on 127.0.0.1 (data in .azurite/), creates
// FunctionApp/local.settings.json from the sample when there is none, runs `func start` in FunctionApp/
// and stops Azurite again when the host stops (Ctrl+C). Without Azure Functions Core Tools v4 it says how
// to install them and exits non-zero before starting anything.
//
// Options (for tests, or to run beside another Azurite):
//   --app-dir <dir>            where func runs and local.settings.json is created (default FunctionApp/)
//   --azurite-location <dir>   Azurite's data folder (default .azurite/)
//   --blob-port <n> --queue-port <n> --table-port <n>   Azurite's ports (default 10000, 10001, 10002;
//                              local.settings.json's UseDevelopmentStorage=true expects these)
import { spawn, spawnSync } from 'node:child_process';
import { constants, copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const defaultPorts = Object.freeze({ blob: 10000, queue: 10001, table: 10002 });

const isWindows = process.platform === 'win32';

/**
 * Creates `target` as a copy of `sample` unless it exists; never overwrites (the copy fails rather than
 * replace a file created meanwhile). Returns whether it created the file.
 */
export function ensureLocalSettings({
  sample = path.join(repositoryRoot, 'local.settings.sample.json'),
  target = path.join(repositoryRoot, 'FunctionApp', 'local.settings.json'),
} = {}) {
  try {
    copyFileSync(sample, target, constants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
}

/** The client names a local.settings.json configures (`Clients__{name}__...` in Values). */
export function configuredClients(settingsPath) {
  const values = JSON.parse(readFileSync(settingsPath, 'utf8')).Values ?? {};
  const names = Object.keys(values)
    .map((key) => /^Clients__(.+?)__/i.exec(key)?.[1])
    .filter((name) => name !== undefined);
  return [...new Set(names)];
}

/** What to add to local.settings.json before a token request can succeed. */
export function fillInYourClientMessage(settingsPath) {
  return [
    `No client is configured in ${settingsPath} yet: the host starts and /api/health answers, but a token`,
    'request answers 404 invalid_client until you add your app registration to "Values", e.g. for a client "orders":',
    '  "Clients__orders__ClientId": "<application (client) id>",',
    '  "Clients__orders__Authority": "https://login.microsoftonline.com/<tenant id>",',
    '  and one credential: "Clients__orders__Certificate__KeyVaultUri" with "Clients__orders__Certificate__Name",',
    '  or "Clients__orders__Certificate__Path" (a PFX file), or "Clients__orders__ClientSecret".',
    'README.md, "Settings", lists every setting.',
  ].join('\n');
}

/** The full path of the `func` executable on `searchPath`, or null. */
export function findFunc({ searchPath = process.env.PATH ?? '', platform = process.platform, pathExt = process.env.PATHEXT } = {}) {
  const windows = platform === 'win32';
  const names = windows
    ? (pathExt ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean).map((ext) => `func${ext.toLowerCase()}`)
    : ['func'];
  for (const directory of searchPath.split(windows ? ';' : ':').filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(directory.replace(/^"(.*)"$/, '$1'), name);
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

export const installCoreToolsMessage = [
  'Azure Functions Core Tools v4 (`func`) are not on PATH. Install them, open a new terminal, and run `npm start` again:',
  '  any system:  npm i -g azure-functions-core-tools@4',
  '  Windows:     winget install Microsoft.Azure.FunctionsCoreTools',
  '  macOS:       brew tap azure/functions && brew install azure-functions-core-tools@4',
  '  Linux:       the apt/dnf packages described at https://learn.microsoft.com/azure/azure-functions/functions-run-local',
  'Azurite was not started; nothing is left running.',
].join('\n');

// A Windows .cmd/.bat shim (npm's global `func.cmd`) can only be started through the shell.
function needsShell(command) {
  return isWindows && /\.(cmd|bat)$/i.test(command);
}

function quoteForShell(command) {
  return needsShell(command) ? `"${command}"` : command;
}

/** The major version `func --version` reports, or null when it cannot be read. */
export function funcMajorVersion(funcPath) {
  const result = spawnSync(quoteForShell(funcPath), ['--version'], { encoding: 'utf8', shell: needsShell(funcPath) });
  const major = /^(\d+)\./.exec((result.stdout ?? '').trim());
  return major ? Number(major[1]) : null;
}

/** Installs the pinned Azurite (`npm ci`) when node_modules has none. */
export function ensureAzuriteInstalled(root = repositoryRoot) {
  if (existsSync(path.join(root, 'node_modules', 'azurite', 'package.json'))) return;
  console.log('Installing the pinned Azurite (npm ci)...');
  const npm = isWindows ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: isWindows });
  if (result.status !== 0) {
    throw new Error(`npm ci failed (exit code ${result.status}); Azurite could not be installed.`);
  }
}

/** Whether something accepts TCP connections on host:port. */
export function isListening(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts Azurite's blob, queue and table services on 127.0.0.1 with telemetry off and resolves once all
 * three accept connections. Returns { pid, ports, exited, stop() }; stop() ends it and resolves when it has.
 */
export async function startAzurite({
  root = repositoryRoot,
  location = path.join(root, '.azurite'),
  ports = defaultPorts,
  timeoutMs = 60_000,
} = {}) {
  const busy = [];
  for (const [service, port] of Object.entries(ports)) {
    if (await isListening(port)) busy.push(`${service} ${port}`);
  }
  if (busy.length > 0) {
    throw new Error(`Something already listens on 127.0.0.1 (${busy.join(', ')}): an Azurite from another run? Stop it first.`);
  }

  mkdirSync(location, { recursive: true });
  const script = path.join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
  const child = spawn(process.execPath, [
    script,
    '--silent', '--disableTelemetry', '--skipApiVersionCheck',
    '--blobHost', '127.0.0.1', '--blobPort', String(ports.blob),
    '--queueHost', '127.0.0.1', '--queuePort', String(ports.queue),
    '--tableHost', '127.0.0.1', '--tablePort', String(ports.table),
    '--location', location,
  ], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group on Linux and macOS, so the terminal's Ctrl+C reaches func alone and Azurite
    // serves the host until it has shut down; this script stops it then (or on exit).
    detached: !isWindows,
  });
  let errors = '';
  child.stderr.on('data', (chunk) => { errors += chunk; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  exited.then(() => { hasExited = true; });

  const azurite = {
    pid: child.pid,
    ports,
    exited,
    async stop() {
      if (!hasExited) child.kill();
      await exited;
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (const port of Object.values(ports)) {
    while (!(await isListening(port))) {
      if (hasExited) throw new Error(`Azurite exited before it accepted connections:\n${errors}`);
      if (Date.now() > deadline) {
        await azurite.stop();
        throw new Error(`Azurite did not accept connections on 127.0.0.1:${port} within ${timeoutMs / 1000} s.\n${errors}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return azurite;
}

/** Runs `func start` in appDir with the terminal attached; resolves with its exit code. */
export function runFunc(funcPath, appDir, onStart = () => {}) {
  const child = spawn(quoteForShell(funcPath), ['start'], { cwd: appDir, stdio: 'inherit', shell: needsShell(funcPath) });
  onStart(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

// Ends func when this script is told to stop. Ctrl+C needs nothing: the terminal delivers it to func
// too (sending it twice would hurry the host's shutdown). On Windows through the process tree, since
// a .cmd shim sits between this script and func.
function stopFunc(child, signal) {
  if (signal === 'SIGINT' || child.exitCode !== null || child.signalCode !== null) return;
  if (isWindows) {
    spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' });
  } else {
    child.kill(signal);
  }
}

function parseArguments(argv) {
  const options = { ports: { ...defaultPorts } };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value.`);
    switch (name) {
      case '--app-dir': options.appDir = path.resolve(value); break;
      case '--azurite-location': options.location = path.resolve(value); break;
      case '--blob-port': options.ports.blob = Number(value); break;
      case '--queue-port': options.ports.queue = Number(value); break;
      case '--table-port': options.ports.table = Number(value); break;
      default: throw new Error(`Unknown option ${name}.`);
    }
  }
  return options;
}

export async function main(argv = process.argv.slice(2)) {
  const options = parseArguments(argv);
  const appDir = options.appDir ?? path.join(repositoryRoot, 'FunctionApp');
  const settings = path.join(appDir, 'local.settings.json');
  if (ensureLocalSettings({ target: settings })) {
    console.log(`Created ${settings} from local.settings.sample.json.`);
  }
  if (configuredClients(settings).length === 0) {
    console.log(fillInYourClientMessage(settings));
  }

  const func = findFunc();
  if (func === null) {
    console.error(installCoreToolsMessage);
    return 1;
  }
  const major = funcMajorVersion(func);
  if (major !== null && major < 4) {
    console.error(`${func} is Core Tools v${major}; this app needs v4.\n${installCoreToolsMessage}`);
    return 1;
  }

  // Handlers first, so that a Ctrl+C while Azurite starts still stops it (Azurite is in its own process
  // group on Linux and macOS, where the terminal's Ctrl+C does not reach it).
  let stopping = null;
  let funcChild;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', ...(isWindows ? ['SIGBREAK'] : [])];
  const onSignal = (signal) => {
    stopping ??= signal;
    if (funcChild) stopFunc(funcChild, signal);
  };
  for (const signal of signals) process.on(signal, onSignal);
  let azurite;
  try {
    ensureAzuriteInstalled();
    azurite = await startAzurite({ location: options.location, ports: options.ports });
    // Whatever ends this script ends Azurite with it.
    process.once('exit', () => azurite.stop());
    if (stopping) return 130;
    console.log(`Azurite listens on 127.0.0.1 (blob ${azurite.ports.blob}, queue ${azurite.ports.queue}, table ${azurite.ports.table}); data in ${options.location ?? '.azurite'}.`);
    return await runFunc(func, appDir, (child) => { funcChild = child; });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    if (azurite) {
      await azurite.stop();
      console.log('Azurite stopped.');
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => { process.exitCode = code; },
    (error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
