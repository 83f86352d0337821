import { Label, Text } from "@medusajs/ui"
import type { ReactNode } from "react"
import { SOURCE_LABELS } from "../lib/format"

/** One form row: label, control, where the value in force comes from, and the field's error. */
export function Field(props: {
  id: string
  label: string
  hint?: ReactNode
  source?: keyof typeof SOURCE_LABELS
  effective?: string | null
  error?: string
  children: ReactNode
}) {
  return (
    <div className="flex flex-col gap-y-1" data-field={props.id}>
      <Label htmlFor={props.id} size="small" weight="plus">
        {props.label}
      </Label>
      {props.children}
      {props.error ? (
        <Text size="small" className="text-ui-fg-error" role="alert" data-error-for={props.id}>
          {props.error}
        </Text>
      ) : null}
      <Text size="xsmall" className="text-ui-fg-subtle" data-source-for={props.id}>
        {props.source ? `In use: ${props.effective ?? "not set"} (${SOURCE_LABELS[props.source]})` : null}
        {props.hint ? <span className="block">{props.hint}</span> : null}
      </Text>
    </div>
  )
}
