// The demo page of `npm run demo`: it plays a customer's web app, with the real browser script and
// a stand-in for Chatwoot's widget that shows what setUser received, then checks the pair with
// /v1/identity/verify. Throwaway values only: the token in it is the demo's.

export interface DemoPage {
  /** Base URL of the service, e.g. http://127.0.0.1:8080 */
  service: string
  /** The script's versioned path, e.g. /sdk.js?v=0123456789abcdef */
  sdkPath: string
  inbox: string
  identifier: string
  token: string
  /** The hash the demo computed itself from the throwaway secret, to compare with. */
  expectedHash: string
}

const html = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
// JSON inside <script>: `<` escaped so that no value can close the element.
const js = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c')

export function demoPage(demo: DemoPage): string {
  const sdk = `${demo.service}${demo.sdkPath}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chatwoot-identity demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2937; }
  h1 { font-size: 1.6rem; margin-bottom: 0.25rem; }
  .lead { color: #4b5563; margin-top: 0; }
  section { border: 1px solid #e5e7eb; border-radius: 8px; padding: 0.75rem 1rem; margin: 1rem 0; }
  h2 { font-size: 1.05rem; margin: 0 0 0.5rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
  dt { color: #6b7280; }
  dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
  dd.prose { font-family: inherit; word-break: normal; }
  pre { background: #f3f4f6; padding: 0.75rem; border-radius: 6px; white-space: pre-wrap; word-break: break-all; font-size: 0.85rem; }
  .state { font-weight: 600; }
  [data-state="valid"], [data-state="identified"] { color: #047857; }
  [data-state="invalid"], [data-state="failed"], [data-state="no_session"] { color: #b91c1c; }
</style>
</head>
<body>
<h1>chatwoot-identity demo</h1>
<p class="lead">This page plays your web app. It loads the identity script from the service; the
script fetches the signed-in user's identity and hands it to Chatwoot's widget (here a stand-in that
shows what it received).</p>

<section>
  <h2>1. Signed in</h2>
  <dl>
    <dt>user</dt><dd>${html(demo.identifier)}</dd>
    <dt>session token</dt><dd class="prose">a throwaway JWT, held by the app and sent as <code>Authorization: Bearer</code></dd>
    <dt>inbox</dt><dd>${html(demo.inbox)}</dd>
  </dl>
</section>

<section>
  <h2>2. Chatwoot's <code>setUser</code> received</h2>
  <p class="state" id="identify-state" data-state="pending">Waiting for the identity service…</p>
  <dl>
    <dt>identifier</dt><dd id="identifier">–</dd>
    <dt>identifier_hash</dt><dd id="hash">–</dd>
    <dt>expected</dt><dd id="expected" title="computed by npm run demo from the throwaway inbox secret">${html(demo.expectedHash)}</dd>
  </dl>
</section>

<section>
  <h2>3. Verified by the service</h2>
  <p class="state" id="verified" data-state="pending">Checking with POST /v1/identity/verify…</p>
</section>

<section>
  <h2>On your site</h2>
  <pre id="snippet">&lt;script src="${html(sdk)}" data-inbox="${html(demo.inbox)}" async&gt;&lt;/script&gt;</pre>
  <p>With a session cookie (<code>JWT_COOKIE</code>) that tag is all. With a token in memory:
  <code>ChatwootIdentity.identify({ endpoint, inbox, getToken })</code>, as this page does.</p>
</section>

<script>
  const SERVICE = ${js(demo.service)}
  const INBOX = ${js(demo.inbox)}
  const TOKEN = ${js(demo.token)}
  const show = (id, text, state) => {
    const element = document.getElementById(id)
    element.textContent = text
    if (state) element.dataset.state = state
  }
  async function verify(identifier, identifier_hash) {
    try {
      const response = await fetch(SERVICE + '/v1/identity/verify', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ inbox: INBOX, identifier, identifier_hash }),
      })
      const { valid } = await response.json()
      show('verified', valid ? '✓ valid: Chatwoot will accept this pair' : '✗ not valid', valid ? 'valid' : 'invalid')
    } catch {
      show('verified', '✗ the service could not be reached', 'failed')
    }
  }
  // A stand-in for Chatwoot's widget: what the real one does with these is prove the contact.
  window.$chatwoot = {
    hasLoaded: true,
    setUser(identifier, attributes) {
      show('identifier', identifier)
      show('hash', attributes.identifier_hash)
      verify(identifier, attributes.identifier_hash)
    },
    reset() {},
  }
</script>
<script src="${html(sdk)}"></script>
<script>
  window.ChatwootIdentity.identify({ endpoint: SERVICE, inbox: INBOX, getToken: () => TOKEN }).then((outcome) => {
    const text = { identified: '✓ identified', no_session: '✗ no session', failed: '✗ failed' }[outcome] || outcome
    show('identify-state', text, outcome)
  })
</script>
</body>
</html>
`
}
