import type { z } from "zod"
import { DarajaResponseError, DarajaValidationError } from "./errors"
import { firstIssue } from "./schemas"

/** Validate caller input; the first problem becomes a DarajaValidationError naming the field. */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const { path, message } = firstIssue(parsed.error)
  throw new DarajaValidationError(path || "params", message)
}

/** Validate a 2xx body from Daraja; a mismatch is a DarajaResponseError (the body itself is never quoted). */
export function parseResponse<S extends z.ZodType>(schema: S, data: unknown, endpoint: string): z.output<S> {
  const parsed = schema.safeParse(data)
  if (parsed.success) return parsed.data
  const { path, message } = firstIssue(parsed.error)
  throw new DarajaResponseError({ endpoint, path, problem: message })
}
