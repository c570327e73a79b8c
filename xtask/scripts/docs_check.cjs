// The docs page (/docs) in headless Chromium against a running Studio, with every request off
// the gateway's origin blocked (any attempt fails the check).
//
// Run by `cargo xtask docs-check`, which starts the gateway and passes STUDIO_URL, CHROMIUM and
// PLAYWRIGHT_MODULE. Exits non-zero with the reason on the first thing that does not work.
const { chromium } = require(process.env.PLAYWRIGHT_MODULE);

const BASE = process.env.STUDIO_URL;
const ORIGIN = new URL(BASE).origin;

async function call(method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(BASE + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function waitUntilReady() {
  for (let i = 0; i < 300; i++) {
    try {
      await call("GET", "/readyz");
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("studio did not become ready");
}

async function main() {
  await waitUntilReady();
  const session = await call("POST", "/api/auth/register", {
    email: "docs@example.com",
    password: "correct horse battery",
  });
  const key = (await call("POST", "/api/keys", { name: "docs" }, session.accessToken)).key;
  const modelIds = (await call("GET", "/v1/models", undefined, key)).data.map((m) => m.id);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ["--no-sandbox"],
  });
  const blocked = [];
  const problems = [];
  let authorization = null;
  try {
    const context = await browser.newContext();
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === ORIGIN) return route.continue();
      blocked.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("request", (request) => {
      if (request.url() === `${ORIGIN}/v1/models`) authorization = request.headers().authorization;
    });

    await page.goto(`${BASE}/docs`, { waitUntil: "networkidle" });
    await page.waitForSelector(".opblock", { timeout: 30000 });
    for (const path of ["/v1/models", "/api/auth/login", "/v1/chat/completions"]) {
      const shown = await page.locator(".opblock-summary-path", { hasText: path }).count();
      if (shown === 0) throw new Error(`the endpoint list does not show ${path}`);
    }

    // Authorize with the API key (the `apiKey` bearer scheme).
    await page.click(".auth-wrapper .authorize");
    const scheme = page.locator(".auth-container", { hasText: "apiKey" });
    await scheme.locator("input").fill(key);
    await scheme.locator("button.authorize").click();
    await page.click(".btn-done");

    const operation = page.locator("#operations-models-listModels");
    await operation.locator(".opblock-summary").click();
    await operation.locator(".try-out__btn").click();
    await operation.locator("button.execute").click();
    const status = operation.locator(".live-responses-table tr.response .response-col_status").first();
    await status.waitFor({ timeout: 30000 });
    const code = (await status.innerText()).trim();
    if (code !== "200") throw new Error(`Try it out answered ${code}, not 200`);
    const body = await operation.locator(".live-responses-table tr.response .response-col_description").first().innerText();
    if (!modelIds.some((id) => body.includes(id))) {
      throw new Error(`the response panel shows no model id of ${modelIds.join(", ")}: ${body}`);
    }
    if (authorization !== `Bearer ${key}`) {
      throw new Error(`Try it out sent Authorization: ${authorization}`);
    }
  } finally {
    await browser.close();
  }
  if (blocked.length > 0) throw new Error(`the page tried to load from elsewhere: ${blocked.join(", ")}`);
  if (problems.length > 0) throw new Error(`the page reported errors:\n${problems.join("\n")}`);
  console.log(`docs-check: /docs rendered, Try it out GET /v1/models → 200 (${modelIds[0]})`);
}

main().catch((error) => {
  console.error(`docs-check: ${error.message}`);
  process.exit(1);
});
