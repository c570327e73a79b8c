// The official OpenAI JS SDK, pointed at a running Studio with an API key: image generation
// with b64_json and with url (fetched without credentials). Run by `cargo xtask sdk-check`
// after the Python check, with STUDIO_URL and OPENAI_MODULE (the installed package's path).
const sdk = require(process.env.OPENAI_MODULE);
const OpenAI = sdk.OpenAI || sdk.default || sdk;
const BASE = process.env.STUDIO_URL;
const PNG = "89504e470d0a1a0a";

async function call(method, path, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(BASE + path, { method, headers, body: body && JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function main() {
  const session = await call("POST", "/api/auth/register", { email: "sdk-js@example.com", password: "correct horse battery" });
  const { key } = await call("POST", "/api/keys", { name: "sdk-js" }, session.accessToken);
  const client = new OpenAI({ apiKey: key, baseURL: BASE + "/v1", maxRetries: 0 });

  const inline = await client.images.generate({
    model: "stable-diffusion-xl", prompt: "a lighthouse", size: "256x256", response_format: "b64_json", n: 2,
  });
  if (inline.data.length !== 2) fail(`expected 2 images, got ${JSON.stringify(inline)}`);
  for (const image of inline.data) {
    if (Buffer.from(image.b64_json, "base64").subarray(0, 8).toString("hex") !== PNG) fail("b64_json is not a PNG");
  }
  const linked = await client.images.generate({ model: "stable-diffusion-xl", prompt: "a lighthouse", size: "256x256" });
  const url = linked.data[0].url;
  if (!url || !url.startsWith(BASE + "/media/images/")) fail(`unexpected url ${url}`);
  const file = await fetch(url);
  if (file.status !== 200 || file.headers.get("content-type") !== "image/png") fail(`GET ${url}: ${file.status}`);
  if (Buffer.from(await file.arrayBuffer()).subarray(0, 8).toString("hex") !== PNG) fail("the URL is not a PNG");
  try {
    await client.images.generate({ model: "stable-diffusion-xl", prompt: "p", size: "3x3" });
    fail("an invalid size was accepted");
  } catch (error) {
    if (!(error instanceof OpenAI.BadRequestError) || error.param !== "size") fail(`unexpected error ${error}`);
  }
  const { version } = require(`${process.env.OPENAI_MODULE}/package.json`);
  console.log(`openai (JS) ${version}: images with b64_json and url work against Studio`);
}

main().catch((error) => fail(String(error && error.stack || error)));
