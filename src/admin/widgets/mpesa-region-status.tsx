import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminRegion, DetailWidgetProps } from "@medusajs/framework/types"
import { Alert, Badge, Container, Heading, Text } from "@medusajs/ui"
import { Link } from "react-router-dom"
import { useMpesaSettings } from "../lib/mpesa-api"

/** On a region offering M-Pesa: is it set up, sandbox or live, and what else shoppers may pay with. */
const MpesaRegionStatusWidget = ({ data: region }: DetailWidgetProps<AdminRegion>) => {
  const { data } = useMpesaSettings()
  const status = data?.regions.find((r) => r.id === region.id)
  if (!data || !status?.mpesa_enabled) return null
  const { settings } = data
  const live = settings.fields.environment.value === "production"

  return (
    <Container className="divide-y p-0" data-testid="mpesa-region-status">
      <div className="flex items-center justify-between px-6 py-4">
        <Heading level="h2">M-Pesa</Heading>
        <div className="flex gap-x-2">
          <Badge color={settings.configured ? "green" : "orange"}>{settings.configured ? "Configured" : "Not set up"}</Badge>
          <Badge color={live ? "purple" : "grey"}>{live ? "Live" : "Sandbox"}</Badge>
        </div>
      </div>
      <div className="flex flex-col gap-y-3 px-6 py-4">
        {status.currency_code !== "kes" ? (
          <Alert variant="warning">M-Pesa takes KES only: carts in {status.currency_code.toUpperCase()} are refused.</Alert>
        ) : null}
        {!settings.configured ? (
          <Text size="small">Missing: {settings.missing.join(", ") || settings.problem}</Text>
        ) : null}
        {status.other_providers.length ? (
          <Alert variant="info">
            This region also offers {status.other_providers.join(", ")}. Shoppers can choose it instead of M-Pesa
            {status.other_providers.includes("pp_system_default") ? " (the system provider completes orders without any payment)" : ""}.
            Remove it from the region if that is not what you want. Nothing was changed.
          </Alert>
        ) : null}
        <Link to="/settings/mpesa" className="text-ui-fg-interactive txt-compact-small">
          M-Pesa settings
        </Link>
      </div>
    </Container>
  )
}

export const config = defineWidgetConfig({
  zone: "region.details",
  id: "mpesa-region-status",
})

export default MpesaRegionStatusWidget
