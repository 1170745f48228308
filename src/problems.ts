// Every error the service answers with: a stable code, its HTTP status and a short title.
// Codes are part of the contract (SPEC.md): clients, logs and metrics key on them.
export const PROBLEMS = {
  missing_token: { status: 401, title: 'Authentication required' },
  invalid_authorization: { status: 401, title: 'Malformed Authorization header' },
  token_malformed: { status: 401, title: 'Token is malformed' },
  token_too_large: { status: 401, title: 'Token is too large' },
  invalid_signature: { status: 401, title: 'Token signature is invalid' },
  algorithm_not_allowed: { status: 401, title: 'Token algorithm is not allowed' },
  token_expired: { status: 401, title: 'Token has expired' },
  token_not_yet_valid: { status: 401, title: 'Token is not yet valid' },
  claim_missing: { status: 401, title: 'A required token claim is missing' },
  claim_invalid: { status: 401, title: 'A token claim is invalid' },
  invalid_issuer: { status: 401, title: 'Token issuer is not allowed' },
  invalid_audience: { status: 401, title: 'Token audience is not allowed' },
  unknown_key: { status: 401, title: 'Token is signed by an unknown key' },
  invalid_token: { status: 401, title: 'Token is invalid' },
  identifier_missing: { status: 403, title: 'Token carries no identifier' },
  identifier_invalid: { status: 403, title: 'Token identifier is not usable' },
  inbox_required: { status: 400, title: 'Inbox is required' },
  invalid_inbox: { status: 400, title: 'Inbox name is malformed' },
  invalid_request: { status: 400, title: 'Request is invalid' },
  invalid_json: { status: 400, title: 'Body is not valid JSON' },
  unsupported_media_type: { status: 400, title: 'Body must be application/json' },
  inbox_not_found: { status: 404, title: 'No such inbox' },
  not_found: { status: 404, title: 'Not found' },
  body_too_large: { status: 413, title: 'Body is too large' },
  // Answered by the HTTP server itself, before any route (see the errors plugin).
  request_timeout: { status: 408, title: 'Request took too long' },
  headers_too_large: { status: 431, title: 'Request headers are too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  not_ready: { status: 503, title: 'Service is not ready' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemCode = keyof typeof PROBLEMS

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  [extension: string]: unknown
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

// A URN rather than a URL: stable, never dereferenced, documented in README.md.
export const problemType = (code: ProblemCode): string => `urn:chatwoot-identity:problem:${code}`

/** Thrown (or passed to reply.send) anywhere; the error handler turns it into problem+json. */
export class Problem extends Error {
  readonly code: ProblemCode
  readonly statusCode: number
  readonly extensions: Record<string, unknown> | undefined

  constructor(code: ProblemCode, detail?: string, extensions?: Record<string, unknown>) {
    super(detail ?? PROBLEMS[code].title)
    this.name = 'Problem'
    this.code = code
    this.statusCode = PROBLEMS[code].status
    this.extensions = extensions
  }

  toBody(): ProblemBody {
    const { status, title } = PROBLEMS[this.code]
    return {
      ...this.extensions,
      type: problemType(this.code),
      title,
      status,
      detail: this.message,
      code: this.code,
    }
  }
}

export const isProblem = (value: unknown): value is Problem => value instanceof Problem
