import { CheckCircleSolid, ExclamationCircle, InformationCircle } from "@medusajs/icons"
import { Container, Heading, Text } from "@medusajs/ui"
import type { ConnectionCheck, MpesaRegionStatus, SettingsView } from "../lib/mpesa-api"

type Item = { label: string; detail: string; state: "done" | "todo" | "manual" }

/** Go-live checklist: what software can check is ticked automatically; the rest is the merchant's to do. */
export function GoLiveChecklist(props: { settings: SettingsView; regions: MpesaRegionStatus[]; connection: ConnectionCheck | null }) {
  const { settings, regions, connection } = props
  const env = settings.fields.environment.value ?? "sandbox"
  const callback = settings.callback_url
  const publicHttps = /^https:\/\/(?!localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)[^/]+/.test(callback)
  const kesRegion = regions.find((r) => r.currency_code === "kes" && r.mpesa_enabled)
  const items: Item[] = [
    {
      label: "Settings key present",
      detail: settings.settings_key.present ? "MPESA_SETTINGS_KEY is set: secrets are stored encrypted." : "Set MPESA_SETTINGS_KEY on the server.",
      state: settings.settings_key.present ? "done" : "todo",
    },
    {
      label: "Credentials work",
      detail: connection?.ok ? "Daraja issued a token for the saved key and secret." : "Run Test connection.",
      state: connection?.ok ? "done" : "todo",
    },
    {
      label: "Environment is production",
      detail: env === "production" ? "Live Daraja (api.safaricom.co.ke)." : "Still on sandbox: switch after Go Live, with the production key, secret and passkey.",
      state: env === "production" ? "done" : "todo",
    },
    {
      label: "Callback URL is public https",
      detail: publicHttps ? callback : `Daraja must reach ${callback || "your server"} over https from the internet.`,
      state: publicHttps ? "done" : "todo",
    },
    {
      label: "A KES region offers M-Pesa",
      detail: kesRegion ? `${kesRegion.name} offers pp_mpesa_mpesa.` : "Settings -> Regions: add pp_mpesa_mpesa to a region in KES.",
      state: kesRegion ? "done" : "todo",
    },
    {
      label: "Refunds through M-Pesa",
      detail: settings.refunds
        ? settings.refunds.ready
          ? `${settings.refunds.detail} The operator needs the Org Reversals Initiator and Transaction Status roles.`
          : settings.refunds.detail
        : "Set the initiator name and password below, and Safaricom's certificate (MPESA_CERTIFICATE_PATH).",
      state: settings.refunds?.ready ? "done" : "todo",
    },
    {
      label: "Org portal: Business Administrator or Manager",
      detail: "Go Live on the Daraja portal needs an M-Pesa Org portal user with that role (with active KYC details) to receive the OTP.",
      state: "manual",
    },
    {
      label: "Production passkey",
      detail: "Safaricom emails the production passkey after Go Live; the sandbox passkey does not work in production.",
      state: "manual",
    },
    {
      label: "Till numbers",
      detail: "For a till, the business shortcode is the store (HO) number used on Go Live; the till goes in Till number.",
      state: "manual",
    },
    {
      label: "Safaricom's callback addresses",
      detail: "Allow Safaricom's callback IPs through your firewall, and set MPESA_ALLOWED_CALLBACK_IPS to refuse callbacks from anywhere else.",
      state: "manual",
    },
  ]
  return (
    <Container className="divide-y p-0" data-testid="mpesa-go-live">
      <div className="px-6 py-4">
        <Heading level="h2">Go-live checklist</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          Ticked items are checked by the plugin; the others are yours to confirm.
        </Text>
      </div>
      <ul className="flex flex-col gap-y-3 px-6 py-4">
        {items.map((item) => (
          <li key={item.label} className="flex items-start gap-x-2" data-state={item.state}>
            {item.state === "done" ? (
              <CheckCircleSolid className="text-ui-fg-interactive shrink-0" />
            ) : item.state === "todo" ? (
              <ExclamationCircle className="text-ui-fg-muted shrink-0" />
            ) : (
              <InformationCircle className="text-ui-fg-muted shrink-0" />
            )}
            <div>
              <Text size="small" weight="plus">
                {item.label}
              </Text>
              <Text size="small" className="text-ui-fg-subtle">
                {item.detail}
              </Text>
            </div>
          </li>
        ))}
      </ul>
    </Container>
  )
}
