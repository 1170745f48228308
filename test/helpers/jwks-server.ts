import { createPublicKey, type KeyObject } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { exportJWK } from 'jose'
import type { KeyPair } from './keys.js'
import { LoopbackServer } from './loopback-server.js'

export type JwksMode = 'ok' | 'down' | 'hang' | 'html' | 'huge' | 'redirect' | 'slow'

/** A JWKS endpoint on 127.0.0.1 that the test controls: its keys, its failures and a request count. */
export class JwksServer extends LoopbackServer {
  mode: JwksMode = 'ok'
  /** Delay for mode 'slow'. */
  slowMs = 1500
  #keys: Record<string, unknown>[] = []

  get url(): string {
    return `${this.origin}/.well-known/jwks.json`
  }

  /** Publishes these keys (public parts only), each under its kid. */
  async publish(...keys: (KeyPair & { kid: string })[]): Promise<void> {
    this.#keys = await Promise.all(
      keys.map(async (key) => ({
        ...(await exportJWK(publicOf(key))),
        kid: key.kid,
        use: 'sig',
        alg: key.alg,
      })),
    )
  }

  /** Publishes raw JWK objects as they are. */
  publishRaw(keys: Record<string, unknown>[]): void {
    this.#keys = keys
  }

  protected answer(_request: IncomingMessage, response: ServerResponse) {
    const body = JSON.stringify({ keys: this.#keys })
    switch (this.mode) {
      case 'down':
        return response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}')
      case 'hang':
        return this.hang(response)
      case 'html':
        return response.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>')
      case 'huge':
        response.writeHead(200, { 'content-type': 'application/json' })
        return response.end(`{"keys":[],"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`)
      case 'redirect':
        return response.writeHead(302, { location: 'http://127.0.0.1:9/evil.json' }).end()
      case 'slow':
        setTimeout(
          () => response.writeHead(200, { 'content-type': 'application/json' }).end(body),
          this.slowMs,
        )
        return
      default:
        return response.writeHead(200, { 'content-type': 'application/json' }).end(body)
    }
  }
}

const publicOf = (key: KeyPair) => createPublicKey(key.privateKey as KeyObject)
