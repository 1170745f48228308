import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

// A caller's X-Request-Id is kept when it is a sane value (so traces join up across services),
// otherwise one is generated: nothing odd ever reaches logs or the response header.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

// Generated ids are this process's random prefix and a counter: unique across replicas and restarts
// (48 random bits per process) at a fraction of a UUID's cost on every request.
const PREFIX = `${randomBytes(6).toString('hex')}-`
let counter = 0

/** What a generated id looks like (for tests and log tooling). */
export const GENERATED_REQUEST_ID = /^[0-9a-f]{12}-[0-9a-z]{1,11}$/

export function genReqId(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  // An id of the generated form is never taken from a caller: a counter is guessable, and a forged
  // one would stand for another request in the logs.
  if (typeof given === 'string' && SANE_REQUEST_ID.test(given) && !GENERATED_REQUEST_ID.test(given))
    return given
  return newRequestId()
}

/** A fresh id of the generated form (also for answers Node's parser rejects before Fastify sees them). */
export function newRequestId(): string {
  counter = counter === Number.MAX_SAFE_INTEGER ? 1 : counter + 1
  return PREFIX + counter.toString(36)
}
