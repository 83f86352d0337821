import { model } from "@medusajs/framework/utils"

/**
 * Settings a merchant saves in Settings -> M-Pesa: one row (id "default").
 * A null column means "not saved here": the medusa-config / MPESA_* option
 * (or the built-in default) applies. Secrets are stored only encrypted
 * (AES-256-GCM, `v1:iv:tag:ciphertext`), with their last four characters for
 * display. `version` goes up on every save; every process compares it before
 * using its cached effective configuration.
 */
const MpesaSetting = model.define("mpesa_setting", {
  id: model.text().primaryKey(),
  version: model.number().default(0),
  environment: model.text().nullable(),
  transaction_type: model.text().nullable(),
  shortcode: model.text().nullable(),
  till_number: model.text().nullable(),
  consumer_key: model.text().nullable(),
  account_reference: model.text().nullable(),
  transaction_desc: model.text().nullable(),
  callback_base_url: model.text().nullable(),
  initiator_name: model.text().nullable(),
  consumer_secret_enc: model.text().nullable(),
  consumer_secret_last4: model.text().nullable(),
  passkey_enc: model.text().nullable(),
  passkey_last4: model.text().nullable(),
  initiator_password_enc: model.text().nullable(),
  initiator_password_last4: model.text().nullable(),
  updated_by: model.text().nullable(),
})

export default MpesaSetting
