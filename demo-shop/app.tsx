import type { HttpTypes } from "@medusajs/framework/types"
import { useEffect, useMemo, useState, type FormEvent } from "react"
import { createRoot } from "react-dom/client"
// The package's own entry points (src/storefront), exactly what a merchant imports from
// medusa-payment-mpesa-express/storefront and .../storefront/react.
import { createMpesaClient, formatKes } from "../src/storefront"
import { MpesaPhonePrompt } from "../src/storefront/react"
import { readConfig } from "./config"
import { createStore, NAIROBI, type Address, type Store } from "./store"

type Route = { page: "product" } | { page: "checkout" } | { page: "order"; id: string; receipt: string | null }

function parseRoute(): Route {
  const url = new URL(window.location.href)
  const m = /^\/order\/([^/]+)$/.exec(url.pathname)
  if (m) return { page: "order", id: decodeURIComponent(m[1]), receipt: url.searchParams.get("receipt") }
  return url.pathname === "/checkout" ? { page: "checkout" } : { page: "product" }
}

function useRoute(): [Route, (path: string) => void] {
  const [route, setRoute] = useState(parseRoute)
  useEffect(() => {
    const onPop = () => setRoute(parseRoute())
    window.addEventListener("popstate", onPop)
    return () => window.removeEventListener("popstate", onPop)
  }, [])
  const go = (path: string) => {
    window.history.pushState(null, "", path)
    setRoute(parseRoute())
    window.scrollTo(0, 0)
  }
  return [route, go]
}

function App() {
  const config = useMemo(readConfig, [])
  const store = useMemo(() => createStore(config), [config])
  const [route, go] = useRoute()
  const [cartCount, setCartCount] = useState(0)

  useEffect(() => {
    void store.cart().then((c) => setCartCount(c?.items?.reduce((n, i) => n + i.quantity, 0) ?? 0))
  }, [store, route])

  return (
    <>
      <header className="bar">
        <a href="/" className="brand" onClick={(e) => (e.preventDefault(), go("/"))}>
          M-Pesa demo store <span className="brand__tag">Kikoy towels · pay with M-Pesa</span>
        </a>
        <a href="/checkout" className="bar__cart" onClick={(e) => (e.preventDefault(), go("/checkout"))}>
          Cart ({cartCount})
        </a>
      </header>
      <main className="page">
        {route.page === "product" && <ProductPage store={store} onAdded={() => go("/checkout")} />}
        {route.page === "checkout" && <CheckoutPage store={store} simulatorUrl={config.simulatorUrl} go={go} />}
        {route.page === "order" && <OrderPage store={store} id={route.id} receipt={route.receipt} />}
      </main>
      <footer className="foot">
        Payments go to a local Daraja simulator: approve them on the{" "}
        <a href={config.simulatorUrl} target="_blank" rel="noreferrer">
          virtual phone
        </a>
        .
      </footer>
    </>
  )
}

function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [n, setN] = useState(0)
  useEffect(() => {
    let live = true
    load().then(
      (d) => live && setData(d),
      (e: Error) => live && setError(e.message)
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n])
  return { data, error, reload: () => setN((x) => x + 1) }
}

function ProductPage({ store, onAdded }: { store: Store; onAdded: () => void }) {
  const { data, error } = useLoad(() => store.product(), [store])
  const [qty, setQty] = useState(1)
  const [busy, setBusy] = useState(false)
  const [addError, setAddError] = useState<string | null>(null)
  if (error) return <p className="error">{error}</p>
  if (!data) return <p className="muted">Loading…</p>
  const { product, region } = data
  const variant = product.variants?.[0]
  const price = variant?.calculated_price?.calculated_amount ?? 0
  const add = async () => {
    if (!variant) return
    setBusy(true)
    setAddError(null)
    try {
      await store.addToCart(region.id, variant.id, qty)
      onAdded()
    } catch (e) {
      setAddError((e as Error).message)
      setBusy(false)
    }
  }
  return (
    <article className="product">
      <div className="product__image" role="img" aria-label="A striped blue and white kikoy towel" />
      <h1>{product.title}</h1>
      <p className="product__price">{formatKes(price)}</p>
      <p>{product.description}</p>
      <label className="field field--inline">
        <span>Quantity</span>
        <select value={qty} onChange={(e) => setQty(Number(e.target.value))}>
          {[1, 2, 3, 4, 5].map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      <button className="button" onClick={add} disabled={busy || !variant}>
        {busy ? "Adding…" : "Add to cart"}
      </button>
      {addError && <p className="error">{addError}</p>}
    </article>
  )
}

function CheckoutPage({ store, simulatorUrl, go }: { store: Store; simulatorUrl: string; go: (p: string) => void }) {
  const { data: loaded, error } = useLoad(() => store.cart(), [store])
  const [cart, setCart] = useState<HttpTypes.StoreCart | null>(null)
  const [address, setAddress] = useState<Address>(NAIROBI)
  const [step, setStep] = useState<"address" | "payment">("address")
  const [busy, setBusy] = useState(false)
  const [stepError, setStepError] = useState<string | null>(null)
  // Our client: plain fetch with the publishable key, polling our store route (never Daraja).
  const client = useMemo(() => {
    const { storeUrl, publishableKey } = readConfig()
    return createMpesaClient({ baseUrl: storeUrl, publishableKey })
  }, [])

  useEffect(() => setCart(loaded), [loaded])
  if (error) return <p className="error">{error}</p>
  if (!loaded && !cart) return <p className="muted">Your cart is empty. <a href="/" onClick={(e) => (e.preventDefault(), go("/"))}>See the towel</a></p>
  if (!cart) return <p className="muted">Loading…</p>

  const toPayment = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setStepError(null)
    try {
      setCart(await store.prepareForPayment(cart.id, address))
      setStep("payment")
    } catch (err) {
      setStepError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const field = (key: keyof Address, label: string, type = "text", autoComplete?: string) => (
    <label className="field">
      <span>{label}</span>
      <input
        type={type}
        autoComplete={autoComplete}
        value={address[key]}
        required
        onChange={(e) => setAddress({ ...address, [key]: e.target.value })}
      />
    </label>
  )

  return (
    <div className="checkout">
      <section className="card">
        <h2>Your order</h2>
        <ul className="lines">
          {cart.items?.map((item) => (
            <li key={item.id}>
              <span>
                {item.title} × {item.quantity}
              </span>
              <span>{formatKes(item.unit_price * item.quantity)}</span>
            </li>
          ))}
          {step === "payment" && (
            <li>
              <span>Delivery</span>
              <span>{formatKes(cart.shipping_total ?? 0)}</span>
            </li>
          )}
          <li className="lines__total">
            <span>Total</span>
            <span data-testid="cart-total">{formatKes(cart.total ?? 0)}</span>
          </li>
        </ul>
      </section>

      <section className="card">
        <h2>Delivery</h2>
        {step === "payment" ? (
          <div className="address-summary">
            <p>
              {address.first_name} {address.last_name}, {address.address_1}, {address.city} {address.postal_code}
              <br />
              {address.email} · {address.phone}
            </p>
            <button type="button" className="link" onClick={() => setStep("address")}>
              Change delivery details
            </button>
          </div>
        ) : (
        <form onSubmit={toPayment} className="address">
          {field("first_name", "First name", "text", "given-name")}
          {field("last_name", "Last name", "text", "family-name")}
          {field("email", "Email", "email", "email")}
          {field("phone", "Phone", "tel", "tel")}
          {field("address_1", "Street address", "text", "address-line1")}
          <div className="address__row">
            {field("city", "City", "text", "address-level2")}
            {field("postal_code", "Postal code", "text", "postal-code")}
          </div>
          <button className="button" disabled={busy}>
            {busy ? "Saving…" : "Continue to payment"}
          </button>
          {stepError && <p className="error">{stepError}</p>}
        </form>
        )}
      </section>

      {step === "payment" && (
        <section className="card">
          <h2>Pay with M-Pesa</h2>
          <MpesaPhonePrompt
            client={client}
            cartId={cart.id}
            amount={cart.total ?? 0}
            defaultPhone={address.phone}
            onPaid={(paid) => {
              store.forgetCart()
              if (paid.orderId) {
                const q = paid.receipt ? `?receipt=${encodeURIComponent(paid.receipt)}` : ""
                go(`/order/${encodeURIComponent(paid.orderId)}${q}`)
              }
            }}
          />
          <p className="demo-hint">
            Demo: the prompt appears on the{" "}
            <a href={simulatorUrl} target="_blank" rel="noreferrer">
              virtual phone
            </a>{" "}
            (opens in a new tab). Press Send to pay, or Cancel / Wrong PIN to see a failure.
          </p>
        </section>
      )}
    </div>
  )
}

function OrderPage({ store, id, receipt }: { store: Store; id: string; receipt: string | null }) {
  const { data: order, error } = useLoad(() => store.order(id), [store, id])
  if (error) return <p className="error">{error}</p>
  if (!order) return <p className="muted">Loading your order…</p>
  return (
    <section className="card confirmation" aria-labelledby="thanks">
      <h1 id="thanks" tabIndex={-1} ref={(el) => el?.focus()}>
        Thank you, {order.shipping_address?.first_name ?? "Mteja"}!
      </h1>
      <p>Your order is confirmed and paid with M-Pesa.</p>
      <dl className="facts">
        <dt>Order number</dt>
        <dd data-testid="order-number">#{order.display_id}</dd>
        <dt>M-Pesa receipt</dt>
        <dd data-testid="mpesa-receipt">{receipt ?? "—"}</dd>
        <dt>Total paid</dt>
        <dd>{formatKes(order.total ?? 0)}</dd>
        <dt>Delivery to</dt>
        <dd>
          {order.shipping_address?.address_1}, {order.shipping_address?.city}
        </dd>
      </dl>
      <ul className="lines">
        {order.items?.map((item) => (
          <li key={item.id}>
            <span>
              {item.title} × {item.quantity}
            </span>
            <span>{formatKes(item.total ?? 0)}</span>
          </li>
        ))}
      </ul>
      {/* The demo store has no email provider, so it promises no email: a real shop says what it sends. */}
      <p className="muted">Keep your M-Pesa receipt number: the shop can find your order with it.</p>
    </section>
  )
}

createRoot(document.getElementById("root")!).render(<App />)
