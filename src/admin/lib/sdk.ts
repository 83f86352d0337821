import Medusa from "@medusajs/js-sdk"

/** The admin's own session (cookie) auth; neither the SDK nor React Query is bundled into the plugin. */
export const sdk = new Medusa({
  baseUrl: __BACKEND_URL__ || "/",
  auth: { type: "session" },
})
