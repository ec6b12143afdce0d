// The demo page clicked through in headless Chromium, on one set-up per run:
//
//   MODE=same-origin   the page served by the quickstart at /, the auth router on that origin
//   MODE=cross-origin  the page on its own origin (three-services-page), the auth server on
//                      another (three-services-auth, CorsLayer with credentials)
//
// Both also run the Rust API (three-services-api: SessionLayer on the same database and
// secret) and the Python service (get-session with the caller's cookie or bearer token).
// Started by tests/browser.rs, which passes BIN_DIR (the built examples), PYTHON_SERVICE,
// WORK_DIR, OUTPUT_DIR (screenshots) and CHROMIUM. Exits non-zero on the first failed check.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { chromium } from "playwright-core";

const MODE = process.env.MODE;
const BIN_DIR = process.env.BIN_DIR;
const WORK_DIR = process.env.WORK_DIR;
const OUTPUT_DIR = process.env.OUTPUT_DIR;
const PYTHON_SERVICE = process.env.PYTHON_SERVICE;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PYTHON = process.env.PYTHON || "python3";
// Generous bounds: they only stop a hang, no verdict depends on how fast the machine is.
const WAIT_MS = 60_000;

if (!["same-origin", "cross-origin"].includes(MODE)) throw new Error(`MODE=${MODE}?`);
for (const [name, value] of Object.entries({ BIN_DIR, WORK_DIR, OUTPUT_DIR, PYTHON_SERVICE })) {
  if (!value) throw new Error(`${name} is not set`);
}
mkdirSync(OUTPUT_DIR, { recursive: true });

const log = (...args) => console.log(`[${MODE}]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Distinct free ports: every listener stays open until all are chosen, so the kernel cannot
// hand the same port out twice (it did once, and the Python service's health check then
// reached the auth server).
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

// ---- processes --------------------------------------------------------------------------

const processes = [];

class Proc {
  constructor(name, command, args, env, healthUrl) {
    Object.assign(this, { name, command, args, env, healthUrl, output: "" });
  }

  async start() {
    const env = { ...process.env };
    for (const key of ["BETTER_AUTH_SECRET", "BETTER_AUTH_SECRETS", "AUTH_SECRET", "BETTER_AUTH_URL", "AUTH_URL", "DATABASE_URL"]) {
      delete env[key];
    }
    this.child = spawn(this.command, this.args, {
      cwd: WORK_DIR,
      env: { ...env, RUST_LOG: "warn", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    const keep = (chunk) => {
      this.output += chunk.toString();
    };
    this.child.stdout.on("data", keep);
    this.child.stderr.on("data", keep);
    let gone = null;
    this.exited.then((status) => {
      gone = status;
    });
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      if (gone) throw new Error(`${this.name} exited (${JSON.stringify(gone)}):\n${this.output}`);
      try {
        const res = await fetch(this.healthUrl, { signal: AbortSignal.timeout(10_000) });
        if (res.status === 200) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer ${this.healthUrl}:\n${this.output}`);
      await sleep(100);
    }
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const stopped = await Promise.race([this.exited, sleep(30_000).then(() => null)]);
    if (!stopped) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }

  async restart() {
    await this.stop();
    await this.start();
  }
}

async function launch(name, command, args, env, healthUrl) {
  const proc = new Proc(name, command, args, env, healthUrl);
  processes.push(proc);
  await proc.start();
  log(`${name} up (${healthUrl})`);
  return proc;
}

const bin = (name) => path.join(BIN_DIR, name);

async function setUp() {
  const secret = randomBytes(32).toString("hex");
  const database = `sqlite://${path.join(WORK_DIR, "auth.db")}?mode=rwc`;
  const [authPort, pagePort, apiPort, pythonPort] = await freePorts(4);
  const authOrigin = `http://localhost:${authPort}`;
  const pageOrigin = MODE === "same-origin" ? authOrigin : `http://localhost:${pagePort}`;
  const shared = { DATABASE_URL: database, BETTER_AUTH_SECRET: secret };

  let auth;
  if (MODE === "same-origin") {
    auth = await launch("quickstart", bin("quickstart"), [], { ...shared, PORT: String(authPort) }, `${authOrigin}/health`);
  } else {
    auth = await launch(
      "auth server",
      bin("three-services-auth"),
      [],
      { ...shared, PORT: String(authPort), BETTER_AUTH_URL: authOrigin, PAGE_ORIGINS: pageOrigin },
      `${authOrigin}/health`,
    );
  }
  const api = `http://localhost:${apiPort}/me`;
  const python = `http://localhost:${pythonPort}/me`;
  await launch(
    "Rust API",
    bin("three-services-api"),
    [],
    { ...shared, PORT: String(apiPort), BETTER_AUTH_URL: authOrigin, PAGE_ORIGINS: pageOrigin },
    `http://localhost:${apiPort}/health`,
  );
  await launch(
    "Python service",
    PYTHON,
    [PYTHON_SERVICE],
    { PORT: String(pythonPort), AUTH_SERVER: `${authOrigin}/api/auth`, PAGE_ORIGINS: pageOrigin },
    `http://localhost:${pythonPort}/health`,
  );
  if (MODE === "cross-origin") {
    await launch(
      "page server",
      bin("three-services-page"),
      [],
      { PORT: String(pagePort), AUTH_SERVER: `${authOrigin}/api/auth`, RUST_API: api, PYTHON_API: python },
      `${pageOrigin}/`,
    );
  }
  return { auth, pageUrl: `${pageOrigin}/`, api, python };
}

// ---- the browser ------------------------------------------------------------------------

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

// Waits until `selector`'s text contains `text`; on time-out says what it showed instead.
async function waitText(page, selector, text) {
  try {
    await page.waitForFunction(
      ([s, t]) => {
        const el = document.querySelector(s);
        return el && el.textContent.includes(t);
      },
      [selector, text],
      { timeout: WAIT_MS, polling: 100 },
    );
  } catch (err) {
    const shown = await page.locator(selector).textContent().catch(() => "(missing)");
    throw new Error(`${selector} never showed ${JSON.stringify(text)}; it shows ${JSON.stringify(shown)} (${err.message.split("\n")[0]})`);
  }
}

async function screenshot(page, name) {
  const file = path.join(OUTPUT_DIR, `${MODE}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
}

// What `selector` shows once the call behind it has answered.
async function settled(page, selector) {
  await page.waitForFunction(
    (s) => {
      const text = document.querySelector(s)?.textContent ?? "";
      return text !== "" && text !== "…";
    },
    selector,
    { timeout: WAIT_MS, polling: 100 },
  );
  return page.locator(selector).textContent();
}

// Signs in through the form and waits for `expected` in its output. Sign-in allows 3 tries per
// 10 s from one address: on a fast machine this test can go faster than that, so a 429 (shown
// with the server's message) is waited out and the same click repeated.
async function signIn(page, email, password, remember, expected) {
  await page.fill("#signin-email", email);
  await page.fill("#signin-password", password);
  await page.setChecked("#signin-remember", remember);
  for (let attempt = 1; ; attempt++) {
    await page.evaluate(() => {
      document.getElementById("signin-out").textContent = "";
    });
    await page.click("#signin-btn");
    const shown = await settled(page, "#signin-out");
    if (shown.startsWith("429:") && attempt < 4) {
      log(`sign-in rate-limited (${shown}); waiting out the window`);
      await sleep(11_000);
      continue;
    }
    check(shown.includes(expected), `sign-in shows ${JSON.stringify(expected)}, not ${JSON.stringify(shown)}`);
    return;
  }
}

async function callService(page, name, expected) {
  await page.evaluate((n) => {
    document.getElementById(`svc-${n}-out`).textContent = "";
  }, name);
  await page.click(`#svc-${name}-btn`);
  await waitText(page, `#svc-${name}-out`, expected);
}

async function flows(browser, { auth, pageUrl, api, python }) {
  const email = `ada-${MODE}@example.com`;
  const password = "correct horse battery";
  const newPassword = "staple grasshopper 42";
  const contextOptions = { viewport: { width: 1280, height: 900 } };
  const ctxA = await browser.newContext(contextOptions);
  const a = await ctxA.newPage();
  a.setDefaultTimeout(WAIT_MS);
  a.on("console", (msg) => {
    if (msg.type() === "error") log(`page console: ${msg.text()}`);
  });

  await a.goto(pageUrl);
  await waitText(a, "#who", "Not signed in");
  if (MODE === "cross-origin") {
    check((await a.inputValue("#svc-rust-url")) === api, "the page server prefilled the Rust API's URL");
    check((await a.inputValue("#svc-python-url")) === python, "the page server prefilled the Python service's URL");
  } else {
    await a.fill("#svc-rust-url", api);
    await a.fill("#svc-python-url", python);
  }

  // The server's error messages reach the page.
  await signIn(a, email, password, true, "401: Invalid email or password");
  log("unknown user: the server's message shown");

  // Sign up: signed in at once.
  await a.fill("#signup-name", "Ada Lovelace");
  await a.fill("#signup-email", email);
  await a.fill("#signup-password", password);
  await a.click("#signup-btn");
  await waitText(a, "#signup-out", "Welcome, Ada Lovelace.");
  await waitText(a, "#who", `Signed in as Ada Lovelace <${email}>`);
  await a.click("#signup-btn");
  await waitText(a, "#signup-out", "422: User already exists");
  log("signed up; a second sign-up is refused with the server's message");

  // Sign out, sign in with remember-me: a persistent cookie.
  await a.click("#signout-btn");
  await waitText(a, "#current-out", "Signed out.");
  await waitText(a, "#who", "Not signed in");
  await signIn(a, email, password, true, `Signed in as ${email}`);
  await waitText(a, "#who", "Signed in as Ada Lovelace");
  const cookies = await ctxA.cookies(pageUrl);
  const session = cookies.find((c) => c.name === "better-auth.session_token");
  check(session, `a session cookie for the page's origin (got ${cookies.map((c) => c.name).join(", ")})`);
  check(session.httpOnly && session.sameSite === "Lax", `the session cookie is HttpOnly and SameSite=Lax (${JSON.stringify(session)})`);
  check(session.expires > Date.now() / 1000, "remember-me gives a persistent cookie");
  log("signed in with remember-me");

  // Both services, by bearer token (the signed token from the sign-in's set-auth-token) ...
  await a.setChecked("#svc-bearer", true);
  await callService(a, "rust", `200: rust service sees ${email}`);
  await callService(a, "python", `200: python service sees ${email}`);
  await a.setChecked("#svc-bearer", false);
  // ... and by cookie.
  await callService(a, "rust", `200: rust service sees ${email}`);
  await callService(a, "python", `200: python service sees ${email}`);
  log("both services answer the signed-in user, by bearer token and by cookie");

  // A reload keeps the session; so does a restart of the auth server.
  await a.reload();
  await waitText(a, "#who", "Signed in as Ada Lovelace");
  await auth.restart();
  log("auth server restarted");
  await a.reload();
  await waitText(a, "#who", "Signed in as Ada Lovelace");
  if (MODE === "same-origin") {
    await a.fill("#svc-rust-url", api);
    await a.fill("#svc-python-url", python);
  }
  await callService(a, "python", `200: python service sees ${email}`);
  log("the session survived a reload and the restart");

  // A second browser signs in too; the first lists both sessions and revokes the other.
  const ctxB = await browser.newContext(contextOptions);
  const b = await ctxB.newPage();
  b.setDefaultTimeout(WAIT_MS);
  await b.goto(pageUrl);
  await waitText(b, "#who", "Not signed in");
  await signIn(b, email, password, false, `Signed in as ${email}`);
  await waitText(b, "#who", "Signed in as Ada Lovelace");
  const bCookie = (await ctxB.cookies(pageUrl)).find((c) => c.name === "better-auth.session_token");
  check(bCookie && bCookie.expires === -1, "without remember-me the cookie lasts the browser session");

  await a.click("#sessions-btn");
  await waitText(a, "#sessions-out", "2 sessions.");
  check((await a.locator("#sessions-list li.current").count()) === 1, "one session is marked as this one");
  check((await a.locator("#sessions-list li.other").count()) === 1, "one other session");
  await callService(a, "rust", `200: rust service sees ${email}`);
  await callService(a, "python", `200: python service sees ${email}`);
  await screenshot(a, "signed-in");
  await a.click("#sessions-list li.other button.revoke");
  await waitText(a, "#sessions-out", "Revoked that session.");
  check((await a.locator("#sessions-list li").count()) === 1, "one session left after revoking");
  await b.reload();
  await waitText(b, "#who", "Not signed in");
  await ctxB.close();
  await waitText(a, "#who", "Signed in as Ada Lovelace");
  log("listed two sessions, revoked the other one: that browser is signed out");

  // Change the password: the wrong current one is refused with the server's message.
  await a.fill("#cp-current", "not my password");
  await a.fill("#cp-new", newPassword);
  await a.click("#cp-btn");
  await waitText(a, "#cp-out", "Invalid password");
  await a.fill("#cp-current", password);
  await a.click("#cp-btn");
  await waitText(a, "#cp-out", "Password changed.");
  log("password changed");

  // Sign out: both services answer 401.
  await a.click("#signout-btn");
  await waitText(a, "#current-out", "Signed out.");
  await waitText(a, "#who", "Not signed in");
  await callService(a, "rust", "401: ");
  await callService(a, "python", "401: ");
  await a.reload();
  await waitText(a, "#who", "Not signed in");
  log("signed out: both services answer 401");

  // The old password no longer works; the new one does.
  await signIn(a, email, password, true, "401: Invalid email or password");
  await signIn(a, email, newPassword, true, `Signed in as ${email}`);
  await waitText(a, "#who", "Signed in as Ada Lovelace");
  if (MODE === "same-origin") {
    await a.fill("#svc-rust-url", api);
    await a.fill("#svc-python-url", python);
  }
  await callService(a, "rust", `200: rust service sees ${email}`);
  await a.click("#signout-btn");
  await waitText(a, "#who", "Not signed in");
  await callService(a, "python", "401: ");
  await screenshot(a, "signed-out");
  log("the new password signs in; signed out again");
  return a;
}

let browser;
let page;
let failed = false;
try {
  const setup = await setUp();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: WAIT_MS,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // The servers listen on 127.0.0.1: no detour through ::1.
      "--host-resolver-rules=MAP localhost 127.0.0.1",
    ],
  });
  page = await flows(browser, setup);
  log("all flows passed");
} catch (err) {
  failed = true;
  console.error(`[${MODE}] FAILED: ${err.stack || err}`);
  for (const context of browser ? browser.contexts() : []) {
    for (const p of context.pages()) {
      await p.screenshot({ path: path.join(OUTPUT_DIR, `${MODE}-failure.png`), fullPage: true }).catch(() => {});
    }
  }
  for (const proc of processes) console.error(`---- ${proc.name} output:\n${proc.output}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const proc of processes) await proc.stop().catch(() => {});
}
process.exit(failed ? 1 : 0);
