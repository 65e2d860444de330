// The console in a real browser: Debian's Chromium (/usr/bin/chromium) driven by playwright-core
// (the library only: it never downloads a browser). Run by tests/compat/run-console-browser.sh,
// which starts the cluster, the two consoles and the traffic; this script clicks through them
// and checks what each page shows. Env:
//   ADMIN_URL / RO_URL   the console started with --admin, and a read-only one
//   TOPIC, GROUP, KEY, BODY, LAG, QUEUES, BROKER   what the runner produced
//   SHOTS                directory for the screenshots (test artefacts)
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import assert from "node:assert/strict";

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`${k} not set`); return v; };
const [admin, ro, shots] = [env("ADMIN_URL"), env("RO_URL"), env("SHOTS")];
const [topic, group, key, body, broker] = ["TOPIC", "GROUP", "KEY", "BODY", "BROKER"].map(env);
const [lag, queues] = [Number(env("LAG")), Number(env("QUEUES"))];
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1180, height: 640 } });
page.setDefaultTimeout(20000);
const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const step = (name) => console.log(`console-browser: ${name}`);
const rows = (table) => page.locator(`table#${table} tbody tr`);

try {
  step("cluster page lists the broker set, master and slave");
  await page.goto(admin + "/");
  const brokerRows = rows("brokers").filter({ hasText: broker });
  assert.equal(await brokerRows.count(), 2, "master and slave rows");
  const master = brokerRows.filter({ hasText: "ASYNC_MASTER" });
  assert.equal(await master.count(), 1);
  assert.match(await master.innerText(), /V4_9_8/);
  await shot("01-cluster");

  step("topic page shows its queues");
  await page.click("header >> text=Topics");
  await page.click(`table#topics >> text="${topic}"`);
  await page.waitForSelector("table#queues");
  assert.equal(await rows("queues").count(), queues, "one row per queue");
  assert.match(await page.locator("h1").innerText(), new RegExp(topic));
  await shot("02-topic");

  step("group page shows the lag");
  await page.click("header >> text=Groups");
  await page.click(`table#groups >> text="${group}"`);
  await page.waitForSelector("#lag-total");
  assert.equal(Number(await page.locator("#lag-total").innerText()), lag, "total lag");
  const lagSum = await rows("lag").evaluateAll((trs) => trs.reduce((s, tr) => s + Number(tr.cells[5].textContent), 0));
  assert.equal(lagSum, lag, "lag per queue adds up");
  await shot("03-group");

  step("message query by key shows the body");
  await page.click("header >> text=Messages");
  await page.fill("#by-key [name=topic]", topic);
  await page.fill("#by-key [name=key]", key);
  await page.fill("#by-key [name=begin]", "0");
  await page.click("#by-key button");
  await page.waitForSelector("table#results");
  assert.equal(await rows("results").count(), 1, "one message with the key");
  await shot("04-messages");
  await rows("results").first().locator("a").click();
  assert.equal(await page.locator("pre#body").innerText(), body);
  await shot("05-message");

  step("message query by topic and time range finds it too");
  await page.goto(admin + "/messages");
  await page.fill("#by-time [name=topic]", topic);
  await page.click("#by-time button");
  await page.waitForSelector("table#results");
  assert.ok((await rows("results").filter({ hasText: body }).count()) === 1);

  step("creating a topic asks for confirmation, then creates it");
  const created = `${topic}_Created`;
  await page.goto(admin + "/topics");
  await page.fill("#create-topic [name=topic]", created);
  await page.fill("#create-topic [name=readQueueNums]", "3");
  await page.fill("#create-topic [name=writeQueueNums]", "3");
  await page.click("#create");
  await page.waitForSelector("#confirm");
  assert.match(await page.locator("#notice").innerText(), new RegExp(`Create or update topic ${created}`));
  await shot("06-confirm");
  await page.click("#confirm");
  await page.waitForSelector("#notice.ok");
  await page.click("text=open the topic");
  await page.waitForSelector("table#queues");
  assert.equal(await rows("queues").count(), 3, "the new topic's queues");
  await shot("07-created");

  step("the read-only console refuses to create a topic");
  const refused = `${topic}_ReadOnly`;
  await page.goto(ro + "/topics");
  assert.match(await page.locator("header .mode").innerText(), /read-only/);
  await page.fill("#create-topic [name=topic]", refused);
  const [resp] = await Promise.all([page.waitForResponse("**/topic/create"), page.click("#create")]);
  assert.equal(resp.status(), 403);
  assert.match(await page.locator("#notice").innerText(), /Refused/);
  await shot("08-read-only");
  const missing = await page.goto(ro + `/topic?name=${refused}`);
  assert.equal(missing.status(), 404, "the refused topic does not exist");

  step("the read-only console refuses to resend a message too");
  await page.goto(ro + "/messages");
  await page.fill("#by-key [name=topic]", topic);
  await page.fill("#by-key [name=key]", key);
  await page.fill("#by-key [name=begin]", "0");
  await page.click("#by-key button");
  await rows("results").first().locator("a").click();
  await page.fill("#resend [name=group]", group);
  const [resent] = await Promise.all([page.waitForResponse("**/message/resend"), page.click("#resend button")]);
  assert.equal(resent.status(), 403);

  step("the trace page answers for a message id (no trace topic here: a notice, not a crash)");
  await page.goto(admin + "/trace");
  await page.fill("#trace-form [name=id]", "0A0000000000000000000000");
  await page.click("#trace-form button");
  await page.waitForSelector("#notice");

  step("charts draw the sampled TPS and lag");
  await page.goto(admin + "/charts");
  await page.waitForSelector("svg#chart-tps polyline", { state: "attached" });
  await page.waitForSelector("svg#chart-lag polyline", { state: "attached" });
  await shot("09-charts");
  console.log("console-browser: OK");
} catch (e) {
  await shot("failure").catch(() => {});
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
