import { once } from 'node:events'
import { createServer, type Server } from 'node:http'

// A stand-in for the customer's web app: a page with a recording `window.$chatwoot` (Chatwoot's
// widget object: `hasLoaded`, `setUser`, `reset`, and the `chatwoot:ready` event) and the SDK.

export interface AppServer {
  port: number
  close(): Promise<void>
}

const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * GET /page?sdk=<script URL>[&inbox=<data-inbox>][&ready=now]: the app page. Chatwoot becomes ready
 * at once with `ready=now`, otherwise when the test calls `chatwootLoaded()`.
 * GET /login?token=<jwt>&next=<path>: the app's login: sets the session cookie (HttpOnly, Lax,
 * host-only, so it also reaches the identity service on the same host at another port).
 */
export function pageHtml(query: URLSearchParams): string {
  const sdk = query.get('sdk') ?? ''
  const inbox = query.get('inbox')
  const readyNow = query.get('ready') === 'now'
  return `<!doctype html>
<meta charset="utf-8"><title>app</title>
<script>
  window.calls = []
  window.$chatwoot = {
    hasLoaded: false,
    setUser: (identifier, attributes) => calls.push({ method: 'setUser', identifier, attributes }),
    reset: () => calls.push({ method: 'reset' }),
  }
  window.chatwootLoaded = () => {
    window.$chatwoot.hasLoaded = true
    window.dispatchEvent(new CustomEvent('chatwoot:ready'))
  }
  ${readyNow ? 'chatwootLoaded()' : ''}
</script>
<script src="${escape(sdk)}"${inbox === null ? '' : ` data-inbox="${escape(inbox)}"`} async></script>
<p>app</p>
`
}

export async function startAppServer(): Promise<AppServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://app.invalid')
    if (url.pathname === '/page') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      response.end(pageHtml(url.searchParams))
      return
    }
    if (url.pathname === '/login') {
      response.writeHead(302, {
        'set-cookie': `session=${url.searchParams.get('token')}; Path=/; HttpOnly; SameSite=Lax`,
        location: url.searchParams.get('next') ?? '/page',
      })
      response.end()
      return
    }
    response.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
