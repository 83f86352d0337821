import { Alert, Text } from "@medusajs/ui"
import type { SettingsView } from "../lib/mpesa-api"

/**
 * The banner shown while work with Daraja is paused (saved credentials cannot
 * be read, or saved settings cannot be used): what is wrong, what to do, and
 * that no payment is lost meanwhile. Shown on Settings -> M-Pesa and on the
 * transactions page, where a merchant would look for stuck payments.
 */
export function PausedBanner({ paused }: { paused: SettingsView["paused"] }) {
  if (!paused) return null
  const waiting = paused.callbacks_waiting
  return (
    <Alert variant="error" data-testid="mpesa-paused">
      <div className="flex flex-col gap-y-1">
        <Text size="small" weight="plus">
          M-Pesa is paused
        </Text>
        <Text size="small">{paused.problem}</Text>
        <Text size="small" weight="plus">
          To fix it: {paused.fix}
        </Text>
        <Text size="small">
          {paused.meanwhile}
          {waiting ? ` ${waiting === 1 ? "1 callback is" : `${waiting} callbacks are`} stored and waiting.` : ""}
        </Text>
      </div>
    </Alert>
  )
}
