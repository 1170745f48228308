import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

// A caller's X-Request-Id is kept when it is a sane value (so traces join up across services),
// otherwise one is generated: nothing odd ever reaches logs or the response header.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

export function genReqId(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
}
