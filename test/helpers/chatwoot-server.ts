import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

// A Chatwoot stand-in on 127.0.0.1: GET /api/v1/accounts/{id}/inboxes in Chatwoot's shape (the
// fixture is a copy of ../shared/fixtures/chatwoot-inboxes.json), an access token it checks, and
// the failures the test asks for.

export type ChatwootMode = 'ok' | 'error' | 'html' | 'malformed' | 'hang' | 'not_admin'
export type ChatwootInbox = Record<string, unknown> & { id: number; name: string; channel_type: string }

/** The fixture's inboxes, a fresh copy each time. */
export function fixtureInboxes(): ChatwootInbox[] {
  const text = readFileSync(new URL('../fixtures/chatwoot-inboxes.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { payload: ChatwootInbox[] }).payload
}

export class ChatwootServer {
  mode: ChatwootMode = 'ok'
  /** The access token it accepts in `api_access_token`; anything else gets Chatwoot's 401. */
  token: string
  readonly accountId = 7
  inboxes: ChatwootInbox[] = fixtureInboxes()
  requests = 0
  url = ''
  #server: Server
  #hanging = new Set<ServerResponse>()

  constructor(token: string) {
    this.token = token
    this.#server = createServer((request, response) => this.#answer(request, response))
  }

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    const { port } = this.#server.address() as { port: number }
    this.url = `http://127.0.0.1:${port}`
    return this
  }

  /** Sets the hmac_token of the inbox with this id (a rotation in Chatwoot's settings). */
  rotate(id: number, hmacToken: string): void {
    const inbox = this.inboxes.find((entry) => entry.id === id)
    if (!inbox) throw new Error(`no inbox ${id}`)
    inbox.hmac_token = hmacToken
  }

  async stop(): Promise<void> {
    for (const response of this.#hanging) response.destroy()
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }

  #answer(request: IncomingMessage, response: ServerResponse) {
    this.requests++
    const json = (status: number, body: unknown) =>
      response
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(body))
    if (request.method !== 'GET' || request.url !== `/api/v1/accounts/${this.accountId}/inboxes`)
      return json(404, { error: 'not found' })
    if (request.headers.api_access_token !== this.token) return json(401, { error: 'Invalid Access Token' })
    switch (this.mode) {
      case 'error':
        return json(500, { error: 'Internal Server Error' })
      case 'html':
        return response.writeHead(200, { 'content-type': 'text/html' }).end('<html>We are down</html>')
      case 'malformed':
        return response
          .writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
          .end('{"payload": [{"id": 1, "name": "Acme')
      case 'hang':
        this.#hanging.add(response)
        return
      case 'not_admin':
        // What an agent's token gets: no hmac_token anywhere.
        return json(200, { payload: this.inboxes.map(({ hmac_token: _, ...rest }) => rest) })
      default:
        return json(200, { payload: this.inboxes })
    }
  }
}
