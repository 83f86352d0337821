import { defineRouteConfig } from "@medusajs/admin-sdk"
import { Alert, Badge, Button, Container, Copy, Heading, Input, Select, Text, toast } from "@medusajs/ui"
import { useEffect, useMemo, useState, type ReactNode } from "react"
import { Link } from "react-router-dom"
import { Field } from "../../../components/field"
import { GoLiveChecklist } from "../../../components/go-live-checklist"
import { PausedBanner } from "../../../components/paused-banner"
import {
  errorsByField,
  useMpesaSettings,
  useSaveMpesaSettings,
  useTestMpesaConnection,
  type ConnectionCheck,
  type SettingsView,
} from "../../../lib/mpesa-api"

type PlainName =
  | "environment"
  | "transaction_type"
  | "shortcode"
  | "till_number"
  | "consumer_key"
  | "account_reference"
  | "transaction_desc"
  | "callback_base_url"
  | "initiator_name"
type SecretName = "consumer_secret" | "passkey" | "initiator_password"
type FormState = Record<PlainName | SecretName, string>

const PLAIN: PlainName[] = [
  "environment",
  "transaction_type",
  "shortcode",
  "till_number",
  "consumer_key",
  "account_reference",
  "transaction_desc",
  "callback_base_url",
  "initiator_name",
]
const SECRET: SecretName[] = ["consumer_secret", "passkey", "initiator_password"]
const ALL = [...PLAIN, ...SECRET]

/** Inputs hold only what is saved here; values from the environment or defaults show as "In use". */
function formFrom(settings: SettingsView): FormState {
  const form = {} as FormState
  for (const name of PLAIN) {
    const f = settings.fields[name]
    form[name] = f.source === "saved" ? (f.value ?? "") : ""
  }
  for (const name of SECRET) form[name] = ""
  return form
}

/** The server's rules, checked as you type (the server checks them again, and the merged whole). */
function validate(form: FormState, settings: SettingsView): Partial<Record<string, string>> {
  const errors: Partial<Record<string, string>> = {}
  const env = form.environment || settings.fields.environment.value || "sandbox"
  const type = form.transaction_type || settings.fields.transaction_type.value || "paybill"
  if (form.shortcode && !/^\d{5,7}$/.test(form.shortcode.trim())) errors.shortcode = "The business shortcode must be 5-7 digits"
  if (form.till_number && !/^\d{5,8}$/.test(form.till_number.trim())) errors.till_number = "The till number must be 5-8 digits"
  if (type === "till" && !form.till_number && !settings.fields.till_number.value) {
    errors.till_number = "A till number is required for Till (Buy Goods)"
  }
  if (form.passkey && !/^[A-Za-z0-9]{20,200}$/.test(form.passkey)) {
    errors.passkey = "The passkey is 20-200 letters and digits (from the Daraja portal or the Go Live email)"
  }
  const url = form.callback_base_url.trim() || settings.fields.callback_base_url.value || ""
  if (form.callback_base_url && !/^https?:\/\/[^\s/?#]+[^\s?#]*$/.test(url)) {
    errors.callback_base_url = "Enter an absolute URL such as https://shop.example.com"
  } else if (/m-?pesa|safaricom/i.test(url)) {
    errors.callback_base_url = "Safaricom rejects callback URLs containing \"mpesa\" or \"safaricom\""
  } else if (env === "production" && !url.startsWith("https://")) {
    errors.callback_base_url = "Production callbacks must use https"
  }
  for (const name of ["account_reference", "transaction_desc"] as const) {
    if (form[name].length > 40) errors[name] = "At most 40 characters"
  }
  return errors
}

const MpesaSettingsPage = () => {
  const { data, isLoading, error } = useMpesaSettings()
  const save = useSaveMpesaSettings()
  const test = useTestMpesaConnection()
  const [form, setForm] = useState<FormState | null>(null)
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({})
  const [connection, setConnection] = useState<ConnectionCheck | null>(null)

  useEffect(() => {
    if (data && !form) setForm(formFrom(data.settings))
  }, [data, form])

  const settings = data?.settings
  const clientErrors = useMemo(() => (form && settings ? validate(form, settings) : {}), [form, settings])

  if (isLoading || !form || !settings) {
    return (
      <Container>
        <Text>{error ? `Could not load the M-Pesa settings: ${error.message}` : "Loading M-Pesa settings…"}</Text>
      </Container>
    )
  }

  const set = (name: keyof FormState) => (e: { target: { value: string } }) => {
    setForm({ ...form, [name]: e.target.value })
    setServerErrors(({ [name]: _, ...rest }) => rest)
  }
  const errorFor = (name: string) => clientErrors[name] ?? serverErrors[name]
  const effective = (name: PlainName) => settings.fields[name]
  const secretPlaceholder = (name: SecretName) => {
    const f = settings.fields[name]
    return f.set ? `Set${f.ending ? `, ending in …${f.ending}` : ""} (${f.source === "saved" ? "saved here" : f.source}). Leave empty to keep` : "Not set"
  }
  /** A write-only secret: never filled from the server, only replaced (empty keeps the stored one). */
  const secretField = (name: SecretName, label: string, hint: string) => (
    <Field id={name} label={label} error={errorFor(name)} hint={hint}>
      <Input
        id={name}
        type="password"
        autoComplete="new-password"
        disabled={!canStoreSecrets}
        placeholder={secretPlaceholder(name)}
        value={form[name]}
        onChange={set(name)}
      />
    </Field>
  )
  const type = form.transaction_type || settings.fields.transaction_type.value || "paybill"
  const canStoreSecrets = settings.settings_key.present

  const onSave = async () => {
    if (Object.keys(clientErrors).length) return
    const body: Record<string, unknown> = {}
    for (const name of PLAIN) body[name] = form[name].trim() === "" ? null : form[name].trim()
    for (const name of SECRET) if (form[name] !== "") body[name] = form[name]
    try {
      const saved = await save.mutateAsync(body)
      setForm(formFrom(saved.settings))
      setServerErrors({})
      setConnection(null)
      toast.success("M-Pesa settings saved", { description: "The next STK Push uses them, in every process." })
    } catch (e) {
      const message = (e as Error).message
      setServerErrors(errorsByField(message, ALL))
      toast.error("M-Pesa settings not saved", { description: message })
    }
  }

  const onTest = async () => {
    try {
      const { connection } = await test.mutateAsync()
      setConnection(connection)
    } catch (e) {
      setConnection({ ok: false, message: (e as Error).message, code: null, base_url: settings.daraja_base_url, environment: "sandbox" })
    }
  }

  return (
    <div className="flex flex-col gap-y-3">
      <Container className="divide-y p-0">
        <div className="flex items-center justify-between px-6 py-4">
          <div>
            <Heading level="h1">M-Pesa</Heading>
            <Text size="small" className="text-ui-fg-subtle">
              M-Pesa Express (STK Push) through Safaricom Daraja. Saved settings apply to the next payment prompt without a
              restart; anything left empty uses the environment (MPESA_*) or the default.
            </Text>
          </div>
          <div className="flex shrink-0 gap-x-2">
            <Badge color={settings.paused ? "red" : settings.configured ? "green" : "orange"} data-testid="mpesa-configured">
              {settings.paused ? "Paused" : settings.configured ? "Configured" : "Not set up"}
            </Badge>
            <Badge color={settings.fields.environment.value === "production" ? "purple" : "grey"}>
              {settings.fields.environment.value === "production" ? "Live" : "Sandbox"}
            </Badge>
          </div>
        </div>
        {!canStoreSecrets ? (
          <div className="px-6 py-4">
            <Alert variant="warning" data-testid="mpesa-settings-key-missing">
              Secrets (passkey, consumer secret, initiator password) can only be saved encrypted, and this server has no
              key for that. Set the environment variable <code>{settings.settings_key.variable}</code> to a long random
              value, e.g. the output of{" "}
              <code>node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"</code>, and restart
              Medusa. Keep it stable: secrets saved under one key cannot be read with another. Other fields can be saved
              now.
            </Alert>
          </div>
        ) : null}
        {settings.paused ? (
          <div className="px-6 py-4">
            <PausedBanner paused={settings.paused} />
          </div>
        ) : settings.problem ? (
          <div className="px-6 py-4">
            <Alert variant="error">{settings.problem}</Alert>
          </div>
        ) : null}
        {settings.missing.length ? (
          <div className="px-6 py-4">
            <Alert variant="info" data-testid="mpesa-missing">
              Not set yet: {settings.missing.join(", ")}. Shoppers cannot pay with M-Pesa until these are set.
            </Alert>
          </div>
        ) : null}

        <Section title="Daraja app" description="From your app on developer.safaricom.co.ke (sandbox) or the Go Live email (production).">
          <Field id="environment" label="Environment" source={effective("environment").source} effective={effective("environment").value} error={errorFor("environment")}>
            <Select value={form.environment || "__effective"} onValueChange={(v) => setForm({ ...form, environment: v === "__effective" ? "" : v })}>
              <Select.Trigger id="environment">
                <Select.Value />
              </Select.Trigger>
              <Select.Content>
                <Select.Item value="__effective">Use environment / default</Select.Item>
                <Select.Item value="sandbox">Sandbox</Select.Item>
                <Select.Item value="production">Production</Select.Item>
              </Select.Content>
            </Select>
          </Field>
          <Field id="consumer_key" label="Consumer key" source={effective("consumer_key").source} effective={effective("consumer_key").value} error={errorFor("consumer_key")}>
            <Input id="consumer_key" autoComplete="off" value={form.consumer_key} onChange={set("consumer_key")} />
          </Field>
          {secretField("consumer_secret", "Consumer secret", "Write-only: never shown again once saved.")}
        </Section>

        <Section title="Business" description="Where the money goes.">
          <Field id="transaction_type" label="Shortcode type" source={effective("transaction_type").source} effective={effective("transaction_type").value} error={errorFor("transaction_type")}>
            <Select value={form.transaction_type || "__effective"} onValueChange={(v) => setForm({ ...form, transaction_type: v === "__effective" ? "" : v })}>
              <Select.Trigger id="transaction_type">
                <Select.Value />
              </Select.Trigger>
              <Select.Content>
                <Select.Item value="__effective">Use environment / default</Select.Item>
                <Select.Item value="paybill">PayBill</Select.Item>
                <Select.Item value="till">Till (Buy Goods)</Select.Item>
              </Select.Content>
            </Select>
          </Field>
          <Field
            id="shortcode"
            label={type === "till" ? "Business shortcode (store / HO number)" : "Business shortcode (paybill)"}
            source={effective("shortcode").source}
            effective={effective("shortcode").value}
            error={errorFor("shortcode")}
            hint={type === "till" ? "For a till, the store (head office) number used on Go Live, not the till itself." : undefined}
          >
            <Input id="shortcode" inputMode="numeric" value={form.shortcode} onChange={set("shortcode")} />
          </Field>
          {type === "till" ? (
            <Field id="till_number" label="Till number" source={effective("till_number").source} effective={effective("till_number").value} error={errorFor("till_number")}>
              <Input id="till_number" inputMode="numeric" value={form.till_number} onChange={set("till_number")} />
            </Field>
          ) : null}
          {secretField("passkey", "Passkey (Lipa na M-Pesa Online)", "Write-only. Production passkeys arrive by email after Go Live.")}
        </Section>

        <Section title="Prompt text" description="What the shopper sees on their phone. {ref} becomes 8 characters of the payment session.">
          <Field id="account_reference" label="Account reference template" source={effective("account_reference").source} effective={effective("account_reference").value} error={errorFor("account_reference")} hint="Cut to Daraja's 12 characters.">
            <Input id="account_reference" value={form.account_reference} onChange={set("account_reference")} />
          </Field>
          <Field id="transaction_desc" label="Transaction description" source={effective("transaction_desc").source} effective={effective("transaction_desc").value} error={errorFor("transaction_desc")} hint="Cut to 13 characters.">
            <Input id="transaction_desc" value={form.transaction_desc} onChange={set("transaction_desc")} />
          </Field>
        </Section>

        <Section title="Callbacks" description="Daraja posts each payment's result to your server.">
          <Field id="callback_base_url" label="Callback base URL" source={effective("callback_base_url").source} effective={effective("callback_base_url").value} error={errorFor("callback_base_url")} hint="Your Medusa server's public address; https in production.">
            <Input id="callback_base_url" placeholder="https://shop.example.com" value={form.callback_base_url} onChange={set("callback_base_url")} />
          </Field>
          <div className="flex flex-col gap-y-1">
            <Text size="small" weight="plus">
              Callback URL Daraja is given
            </Text>
            <div className="flex items-center gap-x-2">
              <code className="bg-ui-bg-subtle rounded px-2 py-1 text-sm" data-testid="mpesa-callback-url">
                {settings.callback_url || "set a callback base URL"}
              </code>
              {settings.callback_url ? <Copy content={settings.callback_url} /> : null}
            </div>
            <Text size="xsmall" className="text-ui-fg-subtle">
              Each push gets its own URL: {"{push}"} and {"{signature}"} are filled in per payment.
            </Text>
          </div>
        </Section>

        <Section title="Reversals (refunds)" description="The API operator created in the M-Pesa Org portal, used to reverse payments.">
          <Field id="initiator_name" label="Initiator name" source={effective("initiator_name").source} effective={effective("initiator_name").value} error={errorFor("initiator_name")}>
            <Input id="initiator_name" autoComplete="off" value={form.initiator_name} onChange={set("initiator_name")} />
          </Field>
          {secretField("initiator_password", "Initiator password", "Write-only.")}
        </Section>

        <div className="flex flex-col gap-y-3 px-6 py-4">
          {connection ? (
            <Alert variant={connection.ok ? "success" : "error"} data-testid="mpesa-connection-result">
              {connection.message}
            </Alert>
          ) : null}
          <div className="flex items-center justify-between">
            <Link to="/settings/mpesa-transactions" className="text-ui-fg-interactive txt-compact-small">
              M-Pesa transactions
            </Link>
            <div className="flex gap-x-2">
              <Button variant="secondary" onClick={onTest} isLoading={test.isPending} data-testid="mpesa-test-connection">
                Test connection
              </Button>
              <Button onClick={onSave} isLoading={save.isPending} disabled={Object.keys(clientErrors).length > 0} data-testid="mpesa-save">
                Save
              </Button>
            </div>
          </div>
        </div>
      </Container>
      <GoLiveChecklist settings={settings} regions={data.regions} connection={connection} />
    </div>
  )
}

function Section(props: { title: string; description: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-1 gap-x-6 gap-y-4 px-6 py-4 md:grid-cols-[240px_1fr]">
      <div>
        <Heading level="h2">{props.title}</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {props.description}
        </Text>
      </div>
      <div className="flex flex-col gap-y-4">{props.children}</div>
    </div>
  )
}

export const config = defineRouteConfig({
  label: "M-Pesa",
})

export default MpesaSettingsPage
