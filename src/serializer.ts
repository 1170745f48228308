import type { FastifySerializerCompiler } from 'fastify'
import { z } from 'zod'

type JsonSchema = {
  type?: string
  properties?: Record<string, JsonSchema>
  $ref?: string
  [key: string]: unknown
}

/** Every property name declared anywhere in a JSON Schema (its own and its definitions'). */
function declaredProperties(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) declaredProperties(item, into)
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value && typeof value === 'object')
        for (const name of Object.keys(value)) into.add(name)
      declaredProperties(value, into)
    }
  }
  return into
}

const PRIMITIVE = new Set(['string', 'number', 'integer', 'boolean'])

/** The schema itself, or the definition its top-level `$ref` names. */
function resolveTop(schema: JsonSchema): JsonSchema {
  const name = schema.$ref?.replace(/^#\/(definitions|\$defs)\//, '')
  const definitions = (schema.definitions ?? schema.$defs) as Record<string, JsonSchema> | undefined
  return name && definitions?.[name] ? definitions[name] : schema
}

/**
 * Responses are written with the route's zod schema as a whitelist: only declared properties ever
 * leave, no zod runs per response, and no serializer library has to load at start-up. A flat object
 * of primitives (every success answer) is written property by property; anything else goes through
 * JSON.stringify with the declared names as its replacer list.
 */
function writerFor(schema: z.ZodType): (data: unknown) => string {
  const json = z.toJSONSchema(schema, { io: 'output' }) as JsonSchema
  const top = resolveTop(json)
  const properties = top.type === 'object' ? top.properties : undefined
  if (properties && Object.values(properties).every((p) => PRIMITIVE.has(p.type ?? ''))) {
    const fields = Object.keys(properties).map((name) => [name, `${JSON.stringify(name)}:`] as const)
    return (data) => {
      const record = data as Record<string, unknown>
      let out = ''
      for (const [name, prefix] of fields) {
        const value = record[name]
        if (value !== undefined) out += `${out ? ',' : ''}${prefix}${JSON.stringify(value)}`
      }
      return `{${out}}`
    }
  }
  const allowed = [...declaredProperties(json)]
  return (data) => JSON.stringify(data, allowed)
}

/**
 * Fastify asks for a serializer per route and status at start-up, most of them for problems that are
 * rarely or never sent: each is built on its first use, which keeps its JSON Schema conversion (the
 * larger part of building the routes) off the start-up path.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let write: ((data: unknown) => string) | undefined
  return (data) => (write ??= writerFor(schema))(data)
}
