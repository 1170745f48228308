// One bounded GET of a JSON document from a configured URL: no redirects, a timeout, a size cap and
// only the content types asked for. Shared by the JWKS key set and the Chatwoot inbox source.

export type FetchOutcome =
  | 'ok'
  | 'http_error'
  | 'unauthorized'
  | 'forbidden'
  | 'timeout'
  | 'network_error'
  | 'too_large'
  | 'invalid'
  | 'redirect'

export class FetchError extends Error {
  constructor(
    readonly outcome: Exclude<FetchOutcome, 'ok'>,
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message)
  }
}

export interface FetchJsonOptions {
  timeoutMs: number
  maxBytes: number
  /** The `accept` header. */
  accept: string
  /** Content types taken as JSON; anything else (an HTML login page, say) is `invalid`. */
  types: RegExp
  /** Extra request headers (credentials): never part of an error message. */
  headers?: Record<string, string>
}

/** The parsed body of a 200 answer; any other answer throws a FetchError naming the outcome. */
export async function fetchJson(url: string | URL, options: FetchJsonOptions): Promise<unknown> {
  const { timeoutMs, maxBytes } = options
  let response: Response
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    response = await fetch(url, {
      redirect: 'manual',
      signal,
      headers: { ...options.headers, accept: options.accept },
    })
  } catch (error) {
    if (signal.aborted) throw new FetchError('timeout', `no answer within ${timeoutMs} ms`)
    // Only the cause's message (connect ECONNREFUSED ...): the error itself may describe the request.
    throw new FetchError(
      'network_error',
      (error as Error).cause ? String((error as Error & { cause: Error }).cause.message) : 'fetch failed',
    )
  }
  try {
    const { status } = response
    if (status >= 300 && status < 400)
      throw new FetchError('redirect', `redirect (${status}) refused`, status)
    if (status !== 200) throw new FetchError('http_error', `HTTP ${status}`, status)
    const type = response.headers.get('content-type') ?? ''
    if (!options.types.test(type)) throw new FetchError('invalid', `content type ${type || 'missing'}`)
    const declared = Number(response.headers.get('content-length') ?? 0)
    if (declared > maxBytes) throw new FetchError('too_large', `body of ${declared} bytes`)
    const text = await readCapped(response, maxBytes, signal)
    try {
      return JSON.parse(text)
    } catch {
      throw new FetchError('invalid', 'body is not JSON')
    }
  } finally {
    // Whatever happened, do not leave the connection reading an unwanted body.
    await response.body?.cancel().catch(() => {})
  }
}

async function readCapped(response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) throw new FetchError('too_large', `body over ${maxBytes} bytes`)
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof FetchError) throw error
    if (signal.aborted) throw new FetchError('timeout', 'body not received in time')
    throw new FetchError('network_error', 'body read failed')
  }
  return Buffer.concat(chunks).toString('utf8')
}
