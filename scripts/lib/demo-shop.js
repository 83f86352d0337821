// The demo shop `npm run dev` serves on http://localhost:8000 (MPESA_SHOP_PORT): demo-shop/app.tsx
// bundled with esbuild (React included) around the package's own storefront client and component,
// plus a static server. It talks to the store API from the browser with the publishable key.
"use strict"
const fs = require("fs")
const http = require("http")
const path = require("path")

const ROOT = path.join(__dirname, "..", "..")
const DIR = path.join(ROOT, "demo-shop")

async function bundleShop() {
  const esbuild = require("esbuild")
  const r = await esbuild.build({
    entryPoints: [path.join(DIR, "app.tsx")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: ["es2020"],
    jsx: "automatic",
    minify: true,
    write: false,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  })
  return r.outputFiles[0].contents
}

/**
 * Builds the shop and serves it on `port` (all paths but the assets answer index.html, so
 * /checkout and /order/:id reload fine). Resolves with { url, stop } once it listens.
 */
async function startDemoShop({ port, storeUrl, publishableKey, simulatorUrl, host = "127.0.0.1" }) {
  const app = await bundleShop()
  // `<` escaped so no value can close the inline <script>.
  const config = JSON.stringify({ storeUrl, publishableKey, simulatorUrl }).replace(/</g, "\\u003c")
  const html = fs.readFileSync(path.join(DIR, "index.html"), "utf8").replace("__CONFIG__", config)
  const assets = {
    "/app.js": ["text/javascript", app],
    "/styles.css": ["text/css", fs.readFileSync(path.join(ROOT, "src", "storefront", "styles.css"))],
    "/shop.css": ["text/css", fs.readFileSync(path.join(DIR, "shop.css"))],
  }
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url || "/", "http://x").pathname
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end()
      return
    }
    if (pathname === "/favicon.ico") {
      res.writeHead(204).end()
      return
    }
    const [type, body] = assets[pathname] ?? ["text/html; charset=utf-8", html]
    res.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" })
    res.end(req.method === "HEAD" ? undefined : body)
  })
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, host, resolve)
  })
  return {
    url: `http://localhost:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

module.exports = { startDemoShop, bundleShop }
