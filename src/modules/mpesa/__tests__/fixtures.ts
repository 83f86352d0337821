/** The smallest valid options (fake values that tests also grep for, to prove they never leak). */
export const MINIMAL_OPTIONS = {
  consumerKey: "ck",
  consumerSecret: "consumer-secret-value",
  shortcode: "174379",
  passkey: "passkey-secret-value",
  callbackBaseUrl: "https://shop.example.co.ke",
  callbackSecret: "callback-secret-value-0123456789",
}
