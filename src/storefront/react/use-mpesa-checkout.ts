import { useEffect, useMemo, useState, useSyncExternalStore } from "react"
import { createMpesaCheckout, type MpesaCheckout, type MpesaCheckoutState } from "../checkout"
import type { MpesaClient } from "../client"

/** The checkout state machine for one cart, aborted (no polling left behind) on unmount or cart change. */
export function useMpesaCheckout(options: {
  client: MpesaClient
  cartId: string
  paymentCollectionId?: string
  promptSeconds?: number
}): [MpesaCheckoutState, MpesaCheckout] {
  const { client, cartId, paymentCollectionId, promptSeconds } = options
  const checkout = useMemo(
    () => createMpesaCheckout({ client, cartId, paymentCollectionId, promptSeconds }),
    [client, cartId, paymentCollectionId, promptSeconds]
  )
  useEffect(() => () => checkout.abort(), [checkout])
  const state = useSyncExternalStore(checkout.subscribe, checkout.getState, checkout.getState)
  return [state, checkout]
}

/** Milliseconds until `deadline`, re-rendering every second while it is in the future. */
export function useRemaining(deadline: number | null): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (deadline === null) return
    setNow(Date.now())
    const timer = setInterval(() => {
      setNow(Date.now())
      if (Date.now() >= deadline) clearInterval(timer)
    }, 1000)
    return () => clearInterval(timer)
  }, [deadline])
  return deadline === null ? 0 : Math.max(0, deadline - now)
}
