import { z } from 'zod'
import { type FetchOutcome, FetchError, fetchJson } from './fetch-json.js'
import { canonicalInboxName, INBOX_PARAM, type InboxSecret, inboxNameProblem } from './secrets.js'

// Chatwoot's Application API as an inbox source: one bounded fetch of the account's inbox list and
// the pure step from that answer to inbox secrets. The answer of an administrator's token holds
// other secrets too (IMAP/SMTP passwords, provider settings): only the fields below are kept.

/** The channels whose inboxes have an identity-validation secret (`hmac_token`). */
const HMAC_CHANNELS = new Set(['Channel::WebWidget', 'Channel::Api'])
/** Chatwoot's other channel types: expected, left out quietly. Any other type is noted. */
const OTHER_CHANNELS = new Set([
  'Channel::Email',
  'Channel::FacebookPage',
  'Channel::Instagram',
  'Channel::Line',
  'Channel::Sms',
  'Channel::Telegram',
  'Channel::Tiktok',
  'Channel::TwilioSms',
  'Channel::TwitterProfile',
  'Channel::Voice',
  'Channel::Whatsapp',
])

const InboxEntry = z.object({
  id: z.int().positive(),
  name: z.string(),
  channel_type: z.string(),
  hmac_token: z.string().nullish(),
  website_token: z.string().nullish(),
  inbox_identifier: z.string().nullish(),
})
const InboxList = z.object({ payload: z.array(z.unknown()) })

export interface ChatwootInboxes {
  /** By canonical name, each with its Chatwoot id, website_token and inbox_identifier as aliases. */
  readonly inboxes: Map<string, InboxSecret>
  /** What was left out and why, for the log (names and ids, never a secret). */
  readonly notes: string[]
}

/**
 * The inbox secrets of an inbox list answer. Web-widget and API inboxes with an `hmac_token` are
 * taken; when two share a canonical name the older (lower id) keeps it. An answer whose eligible
 * inboxes all lack `hmac_token` comes from a token without administrator rights: it is refused
 * (`forbidden`) rather than taken as "no inbox", so that the last good set keeps serving.
 */
export function chatwootInboxSecrets(document: unknown): ChatwootInboxes {
  const list = InboxList.safeParse(document)
  if (!list.success) throw new FetchError('invalid', 'not an inbox list ({"payload": [...]})')
  const notes: string[] = []
  const entries: z.infer<typeof InboxEntry>[] = []
  for (const raw of list.data.payload) {
    const entry = InboxEntry.safeParse(raw)
    if (entry.success) entries.push(entry.data)
    else notes.push('an inbox entry of unexpected shape was left out')
  }
  entries.sort((a, b) => a.id - b.id)

  const inboxes = new Map<string, InboxSecret>()
  let eligible = 0
  let withoutToken = 0
  for (const entry of entries) {
    const origin = `Chatwoot inbox ${entry.id} "${entry.name}"`
    if (!HMAC_CHANNELS.has(entry.channel_type)) {
      if (!OTHER_CHANNELS.has(entry.channel_type))
        notes.push(`${origin}: unknown channel type ${entry.channel_type}, left out`)
      continue
    }
    eligible++
    if (!entry.hmac_token) {
      withoutToken++
      notes.push(`${origin}: no hmac_token, left out`)
      continue
    }
    const name = canonicalInboxName(entry.name)
    const nameProblem = inboxNameProblem(name)
    if (nameProblem) {
      notes.push(`${origin}: ${nameProblem}, left out (rename it in Chatwoot)`)
      continue
    }
    const earlier = inboxes.get(name)
    if (earlier) {
      notes.push(`${origin}: same canonical name "${name}" as ${earlier.origin}, left out (rename one)`)
      continue
    }
    const aliases = [String(entry.id), entry.website_token, entry.inbox_identifier].filter(
      (alias): alias is string => typeof alias === 'string' && INBOX_PARAM.test(alias),
    )
    inboxes.set(name, { name, secret: entry.hmac_token, origin, aliases })
  }
  if (eligible > 0 && withoutToken === eligible) {
    throw new FetchError(
      'forbidden',
      'no web-widget or API inbox carries an hmac_token: Chatwoot shows them to administrators only',
    )
  }
  return { inboxes, notes }
}

/** Largest inbox list accepted (an inbox is about 2 KiB of JSON). */
const MAX_BYTES = 4 * 1024 * 1024

/** Why Chatwoot refused, in words an operator can act on. */
const STATUS_OUTCOMES: Record<number, [Exclude<FetchOutcome, 'ok'>, string]> = {
  401: ['unauthorized', 'HTTP 401: Chatwoot refused CHATWOOT_API_TOKEN'],
  403: ['forbidden', "HTTP 403: CHATWOOT_API_TOKEN has no access to this account's inboxes"],
  404: ['http_error', 'HTTP 404: no such account (CHATWOOT_ACCOUNT_ID), or CHATWOOT_URL is not Chatwoot'],
}

/** One bounded GET of the inbox list with `token` as `api_access_token`; a FetchError otherwise. */
export async function fetchChatwootInboxes(
  url: string,
  token: string,
  timeoutMs: number,
): Promise<ChatwootInboxes> {
  let document: unknown
  try {
    document = await fetchJson(url, {
      timeoutMs,
      maxBytes: MAX_BYTES,
      accept: 'application/json',
      types: /^application\/json\b/i,
      headers: { api_access_token: token },
    })
  } catch (error) {
    const known = error instanceof FetchError && error.status ? STATUS_OUTCOMES[error.status] : undefined
    if (known) throw new FetchError(known[0], known[1], (error as FetchError).status)
    throw error
  }
  return chatwootInboxSecrets(document)
}
