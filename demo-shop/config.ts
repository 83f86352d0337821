/** Filled in by the demo shop's server (scripts/lib/demo-shop.js) into index.html. */
export type DemoShopConfig = { storeUrl: string; publishableKey: string; simulatorUrl: string }

declare global {
  interface Window {
    __MPESA_DEMO__?: DemoShopConfig
  }
}

export function readConfig(): DemoShopConfig {
  const c = window.__MPESA_DEMO__
  if (!c?.storeUrl || !c.publishableKey) throw new Error("The demo shop was served without its configuration")
  return c
}
