import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/**
 * An HTTP server on 127.0.0.1 and a free port that a test plays an outside system with: it counts
 * requests, can leave answers hanging, and stop() ends everything it holds.
 */
export abstract class LoopbackServer {
  requests = 0
  /** `http://127.0.0.1:<port>` once started. */
  origin = ''
  readonly #server: Server = createServer((request, response) => {
    this.requests++
    this.answer(request, response)
  })
  readonly #hanging = new Set<ServerResponse>()

  protected abstract answer(request: IncomingMessage, response: ServerResponse): void

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    const { port } = this.#server.address() as { port: number }
    this.origin = `http://127.0.0.1:${port}`
    return this
  }

  /** Never answers this request (until stop()). */
  protected hang(response: ServerResponse): void {
    this.#hanging.add(response)
  }

  async stop(): Promise<void> {
    for (const response of this.#hanging) response.destroy()
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}
