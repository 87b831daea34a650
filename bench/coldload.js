// Cold page loads in headless Chromium (bench/coldload.sh runs this): every
// load starts a fresh Chromium with a fresh profile, so nothing is cached;
// the pages of the app are interleaved with a static page of the same matrix
// cells served by the same server (the floor). Prints, per page, the time to
// rendered (performance.now() in the second animation frame after the load
// event: the frame that shows what was laid out) and the bytes transferred,
// median and range, and the ratio to the static page; then the same right
// after a write (an incident created before each load). The load event alone
// is printed beside it: it is not a time to rendered, since a page that
// forces no layout before it (the static page) is laid out and painted after
// it, and headless Chromium often records no first contentful paint.
//
// Usage: node bench/coldload.js BASE STATIC_DIR INCIDENT_ID TOKEN [RUNS]
"use strict";

const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const CDP = require("chrome-remote-interface");

const [base, staticDir, incident, token, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 10);
const CHROME = process.env.CHROME_BIN || "chromium";

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "coldload-"));
  const chrome = spawn(CHROME, [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--no-default-browser-check", "--window-size=1400,1000",
    "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank",
  ], { stdio: "ignore", detached: true });
  const portFile = path.join(profile, "DevToolsActivePort");
  for (let i = 0; i < 200 && !fs.existsSync(portFile); i++) await sleep(25);
  let port = 0;
  for (let i = 0; i < 200 && !port; i++) {
    port = Number((fs.readFileSync(portFile, "utf8").split("\n")[0] || "").trim());
    if (!port) await sleep(25);
  }
  const close = async () => {
    const exited = new Promise((r) => chrome.once("exit", r));
    // The whole process group: Chromium's helpers too, which write to the profile.
    try { process.kill(-chrome.pid, "SIGKILL"); } catch (e) { chrome.kill("SIGKILL"); }
    await exited;
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    } catch (e) { /* a helper still exiting: the temp dir goes with the next reboot */ }
  };
  return { port, close };
}

// One cold load of `url`: { ready (rendered) ms, load ms, bytes, elements }.
async function coldLoad(url) {
  const browser = await launch();
  let client;
  try {
    let target;
    for (let i = 0; i < 100 && !target; i++) {
      try {
        target = (await CDP.List({ port: browser.port })).find((t) => t.type === "page");
      } catch (e) { /* not listening yet */ }
      if (!target) await sleep(25);
    }
    client = await CDP({ port: browser.port, target });
    const { Page, Network, Runtime } = client;
    let bytes = 0;
    Network.loadingFinished((e) => { bytes += e.encodedDataLength; });
    await Network.enable();
    await Page.enable();
    // Two frames after the load: what was laid out is painted. Taken in the
    // page (a DevTools script, which the page's CSP does not govern), so no
    // protocol round trip is counted.
    await Page.addScriptToEvaluateOnNewDocument({
      source: `window.__rendered = new Promise((done) => addEventListener("load", () =>
        requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())))));`,
    });
    const loaded = Page.loadEventFired();
    await Page.navigate({ url });
    await loaded;
    const { result } = await Runtime.evaluate({
      awaitPromise: true,
      returnByValue: true,
      expression: `window.__rendered.then((rendered) => ({ rendered,
        load: performance.getEntriesByType("navigation")[0].loadEventEnd,
        elements: document.getElementsByTagName("*").length }))`,
    });
    await sleep(50); // the last loadingFinished events
    const v = result.value;
    return { ready: v.rendered, load: v.load, bytes, elements: v.elements };
  } finally {
    if (client) await client.close().catch(() => {});
    await browser.close();
  }
}

// The floor: the matrix cells of /api/v1/matrix as a plain page with a small stylesheet.
async function writeStaticPage() {
  const res = await fetch(`${base}/api/v1/matrix`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`/api/v1/matrix: ${res.status}`);
  const m = await res.json();
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const columns = m.tactics || m.columns || [];
  let cells = 0;
  const body = columns.map((c) => {
    const techniques = c.techniques || c.cells || [];
    cells += techniques.length;
    return `<section><h2>${esc(c.name)}</h2><ul>` + techniques.map((t) =>
      `<li><a href="/techniques/${esc(t.id)}">${esc(t.name)}</a> <b>${t.score ?? t.incidents ?? 0}</b></li>`).join("") +
      "</ul></section>";
  }).join("\n");
  const name = `bench-floor-${process.pid}`;
  fs.writeFileSync(path.join(staticDir, `${name}.css`),
    "body{font:14px system-ui,sans-serif;margin:1rem}main{display:flex;gap:4px}section{flex:1;min-width:0}" +
    "h2{font-size:13px;margin:0 0 4px}ul{list-style:none;margin:0;padding:0}li{font-size:12px;padding:4px;" +
    "margin:0 0 3px;background:#eef2f7;border-radius:3px}b{float:right}a{color:#123}\n");
  fs.writeFileSync(path.join(staticDir, `${name}.html`),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Static matrix</title>` +
    `<link rel="stylesheet" href="/static/${name}.css"></head><body><h1>ATLAS matrix</h1><main>\n${body}\n</main></body></html>\n`);
  return { url: `${base}/static/${name}.html`, files: [`${name}.css`, `${name}.html`], cells };
}

let writes = 0;
async function write() {
  writes += 1;
  const res = await fetch(`${base}/api/v1/incidents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      title: `Cold-load benchmark write ${writes}`,
      tags: ["bench-write"],
      steps: [{ tactic: "AML.TA0005", technique: "AML.T0051" }],
    }),
  });
  if (res.status !== 201) throw new Error(`write: ${res.status} ${await res.text()}`);
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

async function main() {
  const floor = await writeStaticPage();
  const pages = [
    ["static page (floor)", floor.url],
    ["/matrix", `${base}/matrix`],
    ["/", `${base}/`],
    ["/briefing", `${base}/briefing`],
    ["/incidents/{id}", `${base}/incidents/${incident}`],
  ];
  try {
    console.log(`static page: ${floor.cells} cells; ${RUNS} interleaved cold runs per page`);
    for (const afterWrite of [false, true]) {
      const results = new Map(pages.map(([name]) => [name, []]));
      for (let run = 0; run < RUNS; run++) {
        for (const [name, url] of pages) {
          if (afterWrite && name !== pages[0][0]) await write();
          results.get(name).push(await coldLoad(url));
        }
      }
      console.log(afterWrite ? "\nright after a write (one incident created before each app page load):" : "\nwarm server, cold browser:");
      console.log("page".padEnd(22) + "rendered ms (min-max)".padStart(22) + "load ms".padStart(9) + "bytes".padStart(10) +
        "elements".padStart(10) + "ratio".padStart(8) + "load ratio".padStart(12) + "  target <= 1.5x (rendered)");
      const floorReady = stats(results.get(pages[0][0]).map((r) => r.ready)).median;
      const floorLoad = stats(results.get(pages[0][0]).map((r) => r.load)).median;
      for (const [name] of pages) {
        const rs = results.get(name);
        const ready = stats(rs.map((r) => r.ready));
        const load = stats(rs.map((r) => r.load));
        const bytes = stats(rs.map((r) => r.bytes));
        const elements = stats(rs.map((r) => r.elements));
        const ratio = ready.median / floorReady;
        const verdict = name === pages[0][0] ? "" : ratio <= 1.5 ? "met" : `MISSED (${ratio.toFixed(2)}x)`;
        console.log(name.padEnd(22) +
          `${ready.median.toFixed(0)} (${ready.min.toFixed(0)}-${ready.max.toFixed(0)})`.padStart(22) +
          load.median.toFixed(0).padStart(9) + String(bytes.median).padStart(10) +
          String(elements.median).padStart(10) + ratio.toFixed(2).padStart(8) +
          (load.median / floorLoad).toFixed(2).padStart(12) + "  " + verdict);
      }
    }
  } finally {
    for (const f of floor.files) fs.rmSync(path.join(staticDir, f), { force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
