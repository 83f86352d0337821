/**
 * What the demo store is: the names the seed looks things up by (so a second run finds them) and
 * what it returns. seed-demo.ts re-exports both for the integration tests and seed-bench.ts.
 */
export const DEMO = {
  storeName: "M-Pesa Express demo store",
  currency: "kes",
  country: "ke",
  regionName: "Kenya",
  salesChannelName: "Default Sales Channel",
  stockLocationName: "Nairobi Warehouse",
  fulfillmentSetName: "Nairobi Warehouse delivery",
  serviceZoneName: "Kenya",
  shippingOptionName: "Standard delivery",
  shippingPrice: 200,
  apiKeyTitle: "Demo storefront",
  productTitle: "Kikoy beach towel",
  productHandle: "kikoy-beach-towel",
  variantSku: "KIKOY-TOWEL",
  variantPrice: 1500,
  stock: 1000,
  // M-Pesa only: with Medusa's system provider enabled too, a shopper could complete a cart without paying.
  paymentProviders: ["pp_mpesa_mpesa"],
  fulfillmentProvider: "manual_manual",
  taxProvider: "tp_system",
} as const

export type DemoStore = {
  regionId: string
  salesChannelId: string
  publishableKey: string
  shippingOptionId: string
  productId: string
  variantId: string
  stockLocationId: string
}
