// Headless Chromium against the local runner (scripts/test runs it after `cargo test`, which built
// the runner): (a) a page on another origin resets a password with the AWS SDK for JavaScript v3
// bundled for the browser, and a page on an origin not allowed is refused; (b) the reset page end
// to end, keyboard only, in English and in French.
// RUNNER_BIN names the runner (default: the workspace's target/debug); CHROMIUM the browser
// (default /usr/bin/chromium); RESET_PAGE_SCREENSHOT=path also saves the README's screenshot.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR || join(root, "target");
const runnerBin = process.env.RUNNER_BIN || join(targetDir, "debug", "cognito-reset-local");
const CLIENT = "38fjsnc484p94kpqsnet7mpld0";
const STRONG = "N3w-Passw0rd!";
const scratch = mkdtempSync(join(tmpdir(), "cognito-reset-browser-"));

/** Starts the runner on a free port; resolves once it prints its address. */
function startRunner(name, args = []) {
  const outbox = join(scratch, `${name}.jsonl`);
  const child = spawn(runnerBin, ["--port", "0", "--outbox", outbox, ...args], {
    env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  child.stderr.on("data", (d) => { logs += d; });
  return new Promise((ok, fail) => {
    let out = "";
    child.on("exit", (code) => fail(new Error(`runner ${name} exited ${code}: ${out}${logs}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/on (http:\/\/[\d.]+:\d+)/);
      if (m && out.includes("reset page:")) ok({ url: m[1], outbox, child, logs: () => logs });
    });
  });
}

/** The newest code the outbox holds for `destination`, waiting briefly for it. */
async function codeFor(runner, destination, previous) {
  for (let i = 0; i < 100; i++) {
    if (existsSync(runner.outbox)) {
      const lines = readFileSync(runner.outbox, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const mine = lines.filter((l) => l.destination === destination && l.code);
      const last = mine.at(-1);
      if (last && last.code !== previous) return last.code;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no code for ${destination} in ${runner.outbox}`);
}

const outboxLines = (runner) => (existsSync(runner.outbox) ? readFileSync(runner.outbox, "utf8").trim().split("\n").filter(Boolean) : []);

/** A static server for the app pages: each port is an origin of its own. */
function appServer(sdk) {
  const server = createServer((req, res) => {
    if (req.url === "/sdk.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      return res.end(sdk);
    }
    res.writeHead(200, { "content-type": "text/html" });
    res.end('<!doctype html><meta charset="utf-8"><title>app</title><script src="/sdk.js"></script>');
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

let browser, restricted, open, allowedApp, otherApp;

before(async () => {
  assert.ok(existsSync(runnerBin), `no runner at ${runnerBin}: build it first (cargo build)`);
  const bundled = await build({
    stdin: {
      contents: 'export { CognitoIdentityProviderClient, ForgotPasswordCommand, ConfirmForgotPasswordCommand } from "@aws-sdk/client-cognito-identity-provider";',
      resolveDir: here,
    },
    bundle: true, format: "iife", globalName: "Cognito", platform: "browser", minify: true, write: false, logLevel: "error",
  });
  const sdk = bundled.outputFiles[0].text;
  [allowedApp, otherApp] = await Promise.all([appServer(sdk), appServer(sdk)]);
  [restricted, open] = await Promise.all([
    startRunner("restricted", ["--cors-origins", allowedApp.origin]),
    startRunner("open"),
  ]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  for (const r of [restricted, open]) r?.child.kill();
  for (const a of [allowedApp, otherApp]) a?.server.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs ForgotPassword (and ConfirmForgotPassword with `confirm`) with the SDK in a page of `app`. */
async function sdkInPage(app, endpoint, steps, args) {
  const page = await browser.newPage();
  const sent = [];
  page.on("request", (r) => { if (r.url().startsWith(endpoint)) sent.push(r.headers()); });
  await page.goto(app.origin + "/");
  const result = await page.evaluate(`(${steps})(${JSON.stringify({ endpoint, client: CLIENT, ...args })})`);
  await page.close();
  return { result, sent };
}

const forgot = async ({ endpoint, client, username }) => {
  const c = new Cognito.CognitoIdentityProviderClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
  try {
    const out = await c.send(new Cognito.ForgotPasswordCommand({ ClientId: client, Username: username }));
    return { ok: out.CodeDeliveryDetails, requestId: out.$metadata.requestId };
  } catch (e) {
    return { error: e.name, message: e.message, requestId: e.$metadata && e.$metadata.requestId };
  }
};

test("a page on an allowed origin resets a password through the runner with the AWS SDK", async () => {
  const { result, sent } = await sdkInPage(allowedApp, restricted.url, forgot, { username: "jane" });
  assert.deepEqual(result.ok, { Destination: "j***@e***.com", DeliveryMedium: "EMAIL", AttributeName: "email" });
  assert.match(result.requestId, /^[0-9a-f-]{36}$/, "the SDK read x-amzn-RequestId (exposed to the page)");
  assert.ok(restricted.logs().includes(`request_id=${result.requestId}`), "the request's log line carries its id");

  // Every header the SDK sent is one the preflight allows.
  const preflight = await fetch(restricted.url + "/", {
    method: "OPTIONS",
    headers: { Origin: allowedApp.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-amz-target" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), allowedApp.origin);
  assert.ok(preflight.headers.get("x-amzn-requestid"));
  const allowed = preflight.headers.get("access-control-allow-headers").split(",");
  const simple = new Set(["accept", "accept-language", "content-language", "user-agent", "referer", "origin", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform"]);
  const sdkHeaders = Object.keys(sent[0]).filter((h) => !simple.has(h));
  for (const h of ["x-amz-target", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request", "content-type"]) {
    assert.ok(sdkHeaders.includes(h), `the SDK sends ${h}: ${sdkHeaders}`);
  }
  for (const h of sdkHeaders) assert.ok(allowed.includes(h), `${h} is allowed: ${allowed}`);

  const code = await codeFor(restricted, "jane@example.com");
  const confirm = async ({ endpoint, client, code, password }) => {
    const c = new Cognito.CognitoIdentityProviderClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
    const run = async () => {
      try {
        const out = await c.send(new Cognito.ConfirmForgotPasswordCommand({ ClientId: client, Username: "jane", ConfirmationCode: code, Password: password }));
        return { ok: true, requestId: out.$metadata.requestId };
      } catch (e) {
        return { error: e.name, message: e.message, requestId: e.$metadata && e.$metadata.requestId };
      }
    };
    return [await run(), await run()];
  };
  const { result: [first, again] } = await sdkInPage(allowedApp, restricted.url, confirm, { code, password: STRONG });
  assert.equal(first.ok, true, JSON.stringify(first));
  // An error reaches the page's script whole (Access-Control-Allow-Origin on errors too): a used code
  // answers ExpiredCodeException ("request a code again"), as Cognito does.
  assert.equal(again.error, "ExpiredCodeException", JSON.stringify(again));
  assert.match(again.requestId, /^[0-9a-f-]{36}$/);
});

test("a page on an origin not allowed is refused by the browser and never reaches the service", async () => {
  const before = outboxLines(restricted).length;
  const { result } = await sdkInPage(otherApp, restricted.url, forgot, { username: "maria" });
  assert.equal(result.error, "TypeError", JSON.stringify(result));
  assert.match(result.message, /Failed to fetch/);
  assert.equal(outboxLines(restricted).length, before, "no code was sent");
  const preflight = await fetch(restricted.url + "/", {
    method: "OPTIONS",
    headers: { Origin: otherApp.origin, "Access-Control-Request-Method": "POST" },
  });
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  // The default allows any origin, errors included.
  const { result: anyOrigin } = await sdkInPage(otherApp, open.url, forgot, { client: "unknownclient", username: "maria" });
  assert.equal(anyOrigin.error, "ResourceNotFoundException", JSON.stringify(anyOrigin));
});

const focused = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

test("the reset page walks a person through both steps with the keyboard alone", async () => {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 480, height: 860 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  // Each step answers within milliseconds: a wait that runs long is a failure, reported fast.
  page.setDefaultTimeout(5000);
  const failures = [];
  page.on("pageerror", (e) => failures.push(String(e)));
  // Chromium reports each 400 answer as a console error: those are the refusals under test.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) failures.push(m.text()); });
  await page.goto(open.url + "/");
  assert.equal(await page.locator("h1:visible").textContent(), "Reset your password");

  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "username");
  await page.keyboard.type("jane@example.com");
  await page.keyboard.press("Enter");
  await page.locator("#step-confirm").waitFor({ state: "visible" });
  assert.equal(await focused(page), "code", "focus moves to the code");
  assert.match(await page.locator("#sent").textContent(), /by email to j\*\*\*@e\*\*\*\.com/);
  assert.match(await page.locator("#note").textContent(), /j\*\*\*@e\*\*\*\.com/, "announced (aria-live)");
  assert.equal(await page.locator("#rules li").count(), 5, "the policy's rules are shown before submitting");
  // Focus order: code, password, show, change, send a new code, another username.
  const order = [];
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.dataset.t));
  }
  assert.deepEqual(order, ["password", "show", "change", "resend", "restart"]);

  const code = await codeFor(open, "jane@example.com");
  await page.locator("#code").focus();
  await page.keyboard.type(code);
  await page.keyboard.press("Tab");
  await page.keyboard.type("weak");
  await page.keyboard.press("Enter");
  const error = page.locator("#error");
  await error.filter({ hasText: "does not meet" }).waitFor();
  assert.match(await error.textContent(), /at least 8 characters.*an uppercase letter.*a number.*a symbol/);
  assert.deepEqual(await page.locator("#rules li.broken").evaluateAll((l) => l.map((e) => e.dataset.rule)), ["length", "upper", "number", "symbol"]);
  assert.equal(await page.locator("#rules li.met").count(), 1, "the lowercase rule is met");
  assert.equal(await focused(page), "password");
  assert.equal(await page.locator("#password").getAttribute("aria-invalid"), "true");

  await page.keyboard.press("Control+A");
  await page.keyboard.type("newpassw0rd");
  assert.deepEqual(await page.locator("#rules li.met").evaluateAll((l) => l.map((e) => e.dataset.rule)), ["length", "lower", "number"], "the rules follow the typing");
  if (process.env.RESET_PAGE_SCREENSHOT) {
    await page.evaluate(() => { document.getElementById("error").textContent = ""; });
    await page.screenshot({ path: process.env.RESET_PAGE_SCREENSHOT, fullPage: true });
  }
  await page.keyboard.press("Control+A");
  await page.keyboard.type(STRONG);
  assert.equal(await page.locator("#password").getAttribute("aria-invalid"), null, "typing clears the mark");
  await page.keyboard.press("Enter");
  await page.locator("#step-done").waitFor({ state: "visible" });
  assert.equal(await focused(page), "h-done");
  assert.match(await page.locator("#step-done").textContent(), /You can now sign in with your new password/);

  // The same code again: refused, in plain words, with the request's reference.
  await page.reload();
  await page.locator("#username").fill("jane@example.com");
  await page.keyboard.press("Enter");
  await page.locator("#step-confirm").waitFor({ state: "visible" });
  await codeFor(open, "jane@example.com", code);
  await page.locator("#code").fill(code);
  await page.locator("#password").fill(STRONG);
  await page.keyboard.press("Enter");
  await error.filter({ hasText: "code" }).waitFor();
  const text = await error.textContent();
  assert.match(text, /^That code is not right\. Check the newest message we sent you and try again\.Reference: [0-9a-f-]{36}$/, text);
  assert.equal(await focused(page), "code");

  // Send a new code: announced, and the newest code works.
  await page.locator("#resend").click();
  await page.locator("#note").filter({ hasText: "new code" }).waitFor();
  assert.deepEqual(failures, [], "no script error and nothing blocked by the page's CSP");
  await context.close();
});

test("the reset page speaks the browser's language and explains Cognito's refusals", async () => {
  const context = await browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  await page.goto(open.url + "/");
  assert.equal(await page.locator("html").getAttribute("lang"), "fr");
  assert.equal(await page.locator("h1:visible").textContent(), "Réinitialiser votre mot de passe");
  await page.locator("#username").fill("maria");
  await page.keyboard.press("Enter");
  await page.locator("#step-confirm").waitFor({ state: "visible" });
  assert.match(await page.locator("#sent").textContent(), /par e-mail à m\*\*\*@e\*\*\*\.org/);
  // The page sends its language in ClientMetadata: the code itself came in French.
  const code = await codeFor(open, "maria@example.org");
  const mail = outboxLines(open).map((l) => JSON.parse(l)).findLast((l) => l.code === code);
  assert.equal(mail.subject, "Votre code de réinitialisation du mot de passe");
  assert.match(mail.body, /Votre code de réinitialisation du mot de passe est \d+/);
  await page.locator("#code").fill("000000");
  await page.locator("#password").fill(STRONG);
  await page.keyboard.press("Enter");
  await page.locator("#error").filter({ hasText: "incorrect" }).waitFor();
  assert.match(await page.locator("#error").textContent(), /^Ce code est incorrect\. .*Référence : /);
  // A static host passes the app client in the link; an unknown one is a setup error, in words.
  await page.goto(open.url + "/?client_id=unknownclient&lang=en");
  await page.locator("#username").fill("maria");
  await page.keyboard.press("Enter");
  await page.locator("#error").filter({ hasText: "not set up" }).waitFor();
  await context.close();
});

test("the reset page names a common password and says when a limited user may come back", async () => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  await page.goto(open.url + "/");
  // An unknown login: its answers are a real user's, limits and refusals included.
  await page.locator("#username").fill("ghost-of-the-browser");
  await page.keyboard.press("Enter");
  await page.locator("#step-confirm").waitFor({ state: "visible" });
  await page.locator("#code").fill("123456");
  await page.locator("#password").fill("Password1!");
  await page.keyboard.press("Enter");
  const error = page.locator("#error");
  await error.filter({ hasText: "does not meet" }).waitFor();
  assert.match(await error.textContent(), /^Your new password does not meet every rule: not a common or breached password\./);
  // Four more codes fill the hour's five; the sixth request is told when the window admits again.
  const resend = () => Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/forgot-password")),
    page.locator("#resend").click(),
  ]);
  for (let i = 0; i < 4; i++) assert.equal((await resend())[0].status(), 200);
  const [limited] = await resend();
  assert.equal(limited.status(), 400);
  assert.ok(Number(limited.headers()["retry-after"]) > 3590, limited.headers()["retry-after"]);
  await error.filter({ hasText: "Too many attempts" }).waitFor();
  assert.match(await error.textContent(), /^Too many attempts\. Try again in 60 minutes\./);
  await context.close();
});
