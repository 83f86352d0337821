// One real checkout against the running `npm run dev` store (real `medusa develop`, the
// simulator on its port), then proof that the server's own log output — Medusa's HTTP access
// log included — carries no callback secret, and that replaying every logged callback URL with
// a forged body changes nothing (each names one push, already settled).
"use strict"

const STORE = `http://localhost:${Number(process.env.PORT || 9000)}`
const PAYING_PHONE = "0708374149" // Safaricom's sandbox test MSISDN: the simulator approves it

async function smokeCheckout({ publishableKey, callbackSecret, output }) {
  const headers = { "content-type": "application/json", "x-publishable-api-key": publishableKey }
  const api = async (method, url, body) => {
    const res = await fetch(`${STORE}${url}`, { method, headers, body: body ? JSON.stringify(body) : undefined })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${url} -> ${res.status} ${text.slice(0, 300)}`)
    return text ? JSON.parse(text) : {}
  }
  const { regions } = await api("GET", "/store/regions")
  const region = regions.find((r) => r.currency_code === "kes")
  if (!region) throw new Error("the demo store has no KES region")
  const { products } = await api("GET", `/store/products?region_id=${region.id}&fields=*variants`)
  const variant = products[0]?.variants?.[0]
  if (!variant) throw new Error("the demo store has no product to buy")
  const { cart } = await api("POST", "/store/carts", {
    region_id: region.id,
    email: "smoke@example.co.ke",
    items: [{ variant_id: variant.id, quantity: 1 }],
    shipping_address: { first_name: "Smoke", last_name: "Test", address_1: "Moi Avenue 1", city: "Nairobi", country_code: "ke", postal_code: "00100", phone: PAYING_PHONE },
  })
  const { shipping_options } = await api("GET", `/store/shipping-options?cart_id=${cart.id}`)
  await api("POST", `/store/carts/${cart.id}/shipping-methods`, { option_id: shipping_options[0].id })
  const { payment_collection } = await api("POST", "/store/payment-collections", { cart_id: cart.id })
  const created = await api("POST", `/store/payment-collections/${payment_collection.id}/payment-sessions`, {
    provider_id: "pp_mpesa_mpesa",
    data: { phone: PAYING_PHONE },
  })
  const sessionId = created.payment_collection.payment_sessions[0].id

  const deadline = Date.now() + 60_000
  let status = null
  while (Date.now() < deadline) {
    status = (await api("GET", `/store/mpesa/payment-sessions/${sessionId}`)).mpesa_payment
    if (status.order_id) break
    await new Promise((r) => setTimeout(r, 250))
  }
  if (!status?.order_id) throw new Error(`no order for the smoke checkout; last status ${JSON.stringify(status)}`)
  await new Promise((r) => setTimeout(r, 1000)) // let the access log line for the callback land

  const log = output()
  if (log.includes(callbackSecret)) throw new Error("the callback secret appears in the server's log output")
  const paths = [...new Set(log.match(/\/hooks\/lipa\/stk\/[A-Za-z0-9]+\/[A-Za-z0-9_-]+/g) || [])]
  if (!paths.length) throw new Error("Medusa's access log printed no callback path: the log check proved nothing")
  for (const path of paths) {
    const forged = {
      Body: {
        stkCallback: {
          MerchantRequestID: "forged",
          CheckoutRequestID: "ws_CO_forged_from_log",
          ResultCode: 0,
          ResultDesc: "The service request is processed successfully.",
          CallbackMetadata: { Item: [{ Name: "Amount", Value: 1 }, { Name: "MpesaReceiptNumber", Value: "LOGFORGED1" }] },
        },
      },
    }
    await fetch(`${STORE}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(forged) })
  }
  await new Promise((r) => setTimeout(r, 1000))
  const after = (await api("GET", `/store/mpesa/payment-sessions/${sessionId}`)).mpesa_payment
  if (after.mpesa_receipt_number !== status.mpesa_receipt_number || after.order_id !== status.order_id) {
    throw new Error(`a forged callback on a logged URL changed the payment: ${JSON.stringify(after)}`)
  }
  return { orderId: status.order_id, receipt: status.mpesa_receipt_number, loggedCallbackPaths: paths.length }
}

module.exports = { smokeCheckout }
