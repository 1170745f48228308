import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { LoopbackServer } from './loopback-server.js'

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

export class ChatwootServer extends LoopbackServer {
  mode: ChatwootMode = 'ok'
  /** The access token it accepts in `api_access_token`; anything else gets Chatwoot's 401. */
  token: string
  readonly accountId = 7
  inboxes: ChatwootInbox[] = fixtureInboxes()

  constructor(token: string) {
    super()
    this.token = token
  }

  /** CHATWOOT_URL for the service. */
  get url(): string {
    return this.origin
  }

  /** Sets the hmac_token of the inbox with this id (a rotation in Chatwoot's settings). */
  rotate(id: number, hmacToken: string): void {
    const inbox = this.inboxes.find((entry) => entry.id === id)
    if (!inbox) throw new Error(`no inbox ${id}`)
    inbox.hmac_token = hmacToken
  }

  protected answer(request: IncomingMessage, response: ServerResponse) {
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
        return this.hang(response)
      case 'not_admin':
        // What an agent's token gets: no hmac_token anywhere.
        return json(200, { payload: this.inboxes.map(({ hmac_token: _, ...rest }) => rest) })
      default:
        return json(200, { payload: this.inboxes })
    }
  }
}
