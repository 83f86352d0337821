import { model } from "@medusajs/framework/utils"

/**
 * The Daraja OAuth token shared by every process of a deployment. Safaricom
 * invalidates the previous token whenever a new one is issued, so a server and
 * a worker that each cached their own would keep breaking each other.
 */
const MpesaAccessToken = model.define("mpesa_access_token", {
  id: model.text().primaryKey(), // cache key: a hash of base URL + consumer key
  access_token: model.text(),
  expires_at: model.dateTime(),
})

export default MpesaAccessToken
