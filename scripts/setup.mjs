// Sets up what a fresh machine lacks, and nothing it already has:
//   - the wasm32-unknown-unknown Rust target (rustup),
//   - the wasm-bindgen CLI at exactly the crate's pinned version (cargo install, ~8 min once),
//   - the npm packages (npm install, when node_modules lacks them),
//   - with --browser: Chromium for the browser tests (Debian's package, when apt-get and root
//     are available; otherwise it stops with a message that says how).
// Usage: node scripts/setup.mjs [--browser]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WASM_BINDGEN_VERSION = '0.2.130';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function say(msg) {
  console.error(`[setup] ${msg}`);
}

function output(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

function run(cmd, args, opts = {}) {
  say(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
}

function fail(msg) {
  console.error(`\n[setup] ${msg}\n`);
  process.exit(1);
}

export function ensureRust() {
  if (output('cargo', ['--version']) === null) {
    fail('cargo is missing: install Rust with rustup (https://rustup.rs) and run this again.');
  }
  const installed = output('rustup', ['target', 'list', '--installed']);
  if (installed === null) {
    fail('rustup is missing: the wasm32-unknown-unknown target needs it (https://rustup.rs).');
  }
  if (!installed.split('\n').includes('wasm32-unknown-unknown')) {
    run('rustup', ['target', 'add', 'wasm32-unknown-unknown']);
  }
}

export function ensureWasmBindgen() {
  // The CLI must match the crate's pinned version exactly (Cargo.toml: wasm-bindgen = "=0.2.130").
  const pinned = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/wasm-bindgen = "=([\d.]+)"/)?.[1];
  if (pinned !== WASM_BINDGEN_VERSION) {
    fail(`Cargo.toml pins wasm-bindgen ${pinned}, scripts/setup.mjs expects ${WASM_BINDGEN_VERSION}: keep them equal.`);
  }
  const v = output('wasm-bindgen', ['--version']);
  if (v && v.includes(WASM_BINDGEN_VERSION)) return;
  say(`wasm-bindgen ${WASM_BINDGEN_VERSION} is ${v ? `not installed (found ${v.trim()})` : 'missing'}; installing (about 8 minutes on 2 cores)`);
  // No --locked: the crates mirror lacks one of the CLI's locked versions.
  run('cargo', ['install', 'wasm-bindgen-cli', '--version', WASM_BINDGEN_VERSION]);
}

export function ensureNpmPackages() {
  const needed = ['binaryen', 'esbuild', 'playwright-core'];
  if (needed.every((p) => existsSync(join(ROOT, 'node_modules', p, 'package.json')))) return;
  run('npm', [existsSync(join(ROOT, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && output('apt-get', ['--version']) !== null) {
    say(`${CHROMIUM} is missing; installing Debian's chromium package`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const tryInstall = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env }).status === 0;
    if (!tryInstall()) {
      run('apt-get', ['update'], { env });
      if (!tryInstall()) fail('apt-get could not install chromium; install it by hand (apt-get install chromium).');
    }
    if (existsSync(CHROMIUM)) return;
  }
  fail(
    `The browser tests need Chromium at ${CHROMIUM}, and it could not be installed here.\n` +
      `Install it (Debian/Ubuntu as root: apt-get install -y chromium), or point CHROMIUM_PATH at a Chromium binary.`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureRust();
  ensureWasmBindgen();
  ensureNpmPackages();
  if (process.argv.includes('--browser')) ensureChromium();
}
