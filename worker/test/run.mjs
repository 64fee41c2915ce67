// Runs the built worker (worker/build) in workerd through miniflare.
//
//   node run.mjs            check the vars, then serve on 127.0.0.1:8787 until interrupted
//   import { start } ...    the end-to-end tests and the load test
//
// Vars come from the environment of this process (OPENAI_BASE_URL,
// ANTHROPIC_BASE_URL, GEMINI_BASE_URL, PER_CALL_MAX_USD, POLICY_JSON,
// PRICES_JSON, USER_HEADER, SESSION_HEADER, ORG_HEADER, HASH_SALT, ID_SIGNING_KEY, ADMIN_TOKEN,
// ALLOW_ROUTES, MAX_BODY_BYTES, PRICES_REFRESH_SECONDS) over the defaults
// in worker/wrangler.toml's [vars].
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';
const { Miniflare, Log, LogLevel } = await import('miniflare');

const here = dirname(fileURLToPath(import.meta.url));
export const buildDir = join(here, '..', 'build');

export const VARS = [
  'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'GEMINI_BASE_URL', 'PER_CALL_MAX_USD', 'POLICY_JSON',
  'PRICES_JSON', 'USER_HEADER', 'SESSION_HEADER', 'ORG_HEADER', 'HASH_SALT', 'ID_SIGNING_KEY', 'ADMIN_TOKEN',
  'ALLOW_ROUTES', 'MAX_BODY_BYTES', 'PRICES_REFRESH_SECONDS',
];

/** The [vars] table of wrangler.toml (flat `KEY = "value"` lines only). */
export function wranglerVars() {
  const text = readFileSync(join(here, '..', 'wrangler.toml'), 'utf8');
  const vars = {};
  let inVars = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inVars = t === '[vars]';
    else if (inVars) {
      const m = /^([A-Z_]+)\s*=\s*"(.*)"\s*$/.exec(t);
      if (m) vars[m[1]] = m[2].replace(/\\"/g, '"');
    }
  }
  return vars;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function modules() {
  const files = walk(buildDir).filter((p) => /\.(mjs|js|wasm)$/.test(p));
  const shim = join(buildDir, 'shim.mjs');
  const ordered = [shim, ...files.filter((p) => p !== shim)];
  return ordered.map((path) => ({
    type: path.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule',
    path,
    contents: readFileSync(path),
  }));
}

/**
 * Starts the worker. `vars` override wrangler.toml's; `onLog` receives each
 * line the worker logs. Returns { url, mf, stop }.
 */
/** The vars the worker gets: wrangler.toml's, with `vars` over them. */
function bindingsFor(vars) {
  const bindings = { ...wranglerVars(), ...vars };
  for (const k of Object.keys(bindings)) if (bindings[k] === undefined) delete bindings[k];
  return bindings;
}

/**
 * The configuration error every request of the running worker at `url`
 * gets, asked of the worker itself (a route it refuses, so nothing is
 * forwarded); undefined if there is none.
 */
export async function configError(url) {
  const r = await fetch(`${url}/_farebox/configuration`);
  const text = await r.text();
  if (r.headers.get('x-farebox-error') !== 'invalid_configuration') return undefined;
  return JSON.parse(text).error?.message ?? text;
}

/** `pricesKv`: bind a `PRICES` KV namespace (the operator's price file, `mf.getKVNamespace('PRICES')`). */
export async function start({ vars = {}, port = 0, onLog, pricesKv = false } = {}) {
  const bindings = bindingsFor(vars);
  const mf = new Miniflare({
    modules: modules(),
    modulesRoot: buildDir,
    compatibilityDate: '2025-09-01',
    bindings,
    // SQLite-backed, as wrangler.toml's migration deploys it.
    durableObjects: { BUDGET: { className: 'BudgetDo', useSQLite: true } },
    kvNamespaces: pricesKv ? ['PRICES'] : [],
    host: '127.0.0.1',
    port,
    log: onLog ? new (class extends Log {
      log(message) { for (const line of String(message).split('\n')) onLog(line); }
    })(LogLevel.INFO) : new Log(LogLevel.INFO),
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) {
        let buf = '';
        s.on('data', (d) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (onLog) onLog(line); else console.log(line);
          }
        });
      }
    },
  });
  const url = await mf.ready;
  return { url: url.href.replace(/\/$/, ''), mf, stop: () => mf.dispose() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const vars = {};
  for (const k of VARS) if (process.env[k] !== undefined) vars[k] = process.env[k];
  // Checked before anyone is told the worker serves: a bad var stops here,
  // named, rather than as a 500 on every request.
  const port = Number(process.env.PORT || 8787);
  const { url, stop } = await start({ vars, port });
  const problem = await configError(url);
  if (problem) {
    console.error(problem);
    await stop();
    process.exit(1);
  }
  console.log(`farebox worker on ${url} (workerd via miniflare; Ctrl-C stops it)`);
  for (const k of ['OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'PER_CALL_MAX_USD']) {
    console.log(`  ${k} = ${vars[k] ?? wranglerVars()[k] ?? '(unset)'}`);
  }
  const bye = async () => { await stop(); process.exit(0); };
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
}
