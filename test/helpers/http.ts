import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { expect } from 'vitest'

// Raw HTTP over node:net, for requests no HTTP client sends (duplicate headers, oversized or broken
// request lines, slow clients), and a listener that only counts who connects to it.

export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  status: number
  /** Lowercased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
  /** Everything the server sent. */
  raw: string
  /** Milliseconds from connecting until the server closed the connection. */
  elapsedMs: number
}

export function parseResponse(raw: string, elapsedMs = 0): RawResponse {
  const end = raw.indexOf('\r\n\r\n')
  const head = end < 0 ? raw : raw.slice(0, end)
  const [statusLine = '', ...lines] = head.split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let body = end < 0 ? '' : raw.slice(end + 4)
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body)
  return { status, headers, body, raw, elapsedMs }
}

function unchunk(body: string): string {
  let out = ''
  for (let at = 0; at < body.length;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd < 0) break
    const size = Number.parseInt(body.slice(at, lineEnd), 16)
    if (!size) break
    out += body.slice(lineEnd + 2, lineEnd + 2 + size)
    at = lineEnd + 2 + size + 2
  }
  return out
}

const hostPort = (url: string) => {
  const { hostname, port } = new URL(url)
  return { host: hostname, port: Number(port) }
}

/**
 * Sends `request` as it is on a new connection, half-closes it, and resolves with what came back once
 * the server closes the connection (or `timeoutMs` passed: then the socket is destroyed).
 */
export function rawRequest(url: string, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = connect(hostPort(url))
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(request).slice(0, 80))}`))
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // A reset after the answer (the server closing while our bytes were in flight) still counts.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1'), Date.now() - started))
    })
    socket.end(request)
  })
}

/** A request text with `Connection: close`, a Host, the given headers and a correctly framed body. */
export function httpRequest(
  method: string,
  path: string,
  headers: [string, string][] = [],
  body?: string | Buffer,
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close']
  for (const [name, value] of headers) lines.push(`${name}: ${value}`)
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body ?? '')])
}

/** Opens a connection and resolves once it is established; the caller drives and closes it. */
export async function openSocket(url: string): Promise<Socket> {
  const socket = connect(hostPort(url))
  socket.on('error', () => {})
  await once(socket, 'connect')
  return socket
}

/** Resolves when the socket is closed, with the bytes the server sent meanwhile. */
export function closed(socket: Socket): Promise<string> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  return new Promise((resolve) =>
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1'))),
  )
}

/**
 * A TCP listener on 127.0.0.1 that counts connections and answers nothing: point `jku`, `x5u` and
 * friends at it to prove the service never dereferences them.
 */
export class CountingListener {
  connections = 0
  url = ''
  #server: Server = createServer((socket) => {
    this.connections++
    socket.destroy()
  })

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    this.url = `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`
    return this
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server.close(resolve))
  }
}

export const PROBLEM_TYPE = /^application\/problem\+json/

/** The contract's error shape: problem+json with a stable code matching the status, and a request id. */
export function expectProblem(
  answer: { status: number; headers: Record<string, string>; body: string },
  status: number,
  code?: string,
): { code: string } {
  expect(answer.status, answer.body).toBe(status)
  expect(answer.headers['content-type']).toMatch(PROBLEM_TYPE)
  expect(answer.headers['x-request-id']).toBeTruthy()
  const body = JSON.parse(answer.body) as Record<string, unknown>
  expect(body).toMatchObject({ status, type: `urn:chatwoot-identity:problem:${String(body.code)}` })
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  if (code !== undefined) expect(body.code).toBe(code)
  return body as { code: string }
}
