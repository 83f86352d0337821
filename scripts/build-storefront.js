#!/usr/bin/env node
// `npm run build`, last step: ESM + CJS browser builds of the storefront entry points (after
// `medusa plugin:build`, which wipes .medusa/server). Prints their minified+gzipped sizes.
"use strict"
const { buildStorefront, sizeTable } = require("./lib/storefront-bundle")

buildStorefront()
  .then((results) => console.log(`storefront bundles (.medusa/server/storefront):\n${sizeTable(results)}`))
  .catch((e) => {
    console.error(e.errors ? e.errors.map((x) => x.text).join("\n") : e)
    process.exit(1)
  })
