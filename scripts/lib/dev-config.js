// The `npm run dev` stack's ports, names and paths, in one place so that every piece of the stack
// (and scripts/dev-smoke.js, the e2e helper) agrees on them. Read from the environment once, when
// this file is first required: a caller that wants other ports sets them before requiring scripts/dev.js.
"use strict"
const path = require("path")
const { ROOT } = require("./database")

// Defaults everyone expects; the variables let a second stack run beside the first (e.g. one per
// git worktree) without fighting over ports or the demo database.
const DEMO_DATABASE = process.env.MPESA_DEV_DATABASE || "medusa_mpesa_demo"
const SIMULATOR_PORT = Number(process.env.MPESA_SIMULATOR_PORT || 4010)
const MEDUSA_PORT = Number(process.env.PORT || 9000)
const SHOP_PORT = Number(process.env.MPESA_SHOP_PORT || 8000)
const ADMIN_EMAIL = "admin@mpesa.local"
const ADMIN_PASSWORD = "supersecret"
const DEMO_API_KEY_TITLE = "Demo storefront"
const SECRETS_FILE = path.join(ROOT, ".data", "dev-secrets.json")
const IS_WINDOWS = process.platform === "win32"

module.exports = {
  DEMO_DATABASE,
  SIMULATOR_PORT,
  MEDUSA_PORT,
  SHOP_PORT,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  DEMO_API_KEY_TITLE,
  SECRETS_FILE,
  IS_WINDOWS,
}
