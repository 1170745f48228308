import type { FastifySchemaCompiler } from 'fastify'
import type { z } from 'zod'

/** One schema issue, shaped as Fastify (and Ajv) report them. */
export interface ValidationIssue {
  keyword: string
  instancePath: string
  schemaPath: string
  params: Record<string, unknown>
  message: string
}

/** `data` checked against a zod schema: its parsed value, or its issues. */
export function validate<T extends z.ZodType>(
  schema: T,
  data: unknown,
): { value: z.output<T>; error?: undefined } | { error: ValidationIssue[] } {
  const result = schema.safeParse(data)
  if (result.success) return { value: result.data }
  return {
    error: result.error.issues.map((issue) => ({
      keyword: issue.code,
      instancePath: `/${issue.path.join('/')}`,
      schemaPath: `#/${issue.path.join('/')}`,
      params: {},
      message: issue.message,
    })),
  }
}

/**
 * Requests are validated by the routes' zod schemas. Fastify turns the issues into an error whose
 * `validation` lists them (`instancePath` as in Ajv), which the error handler maps to a problem code.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) =>
    validate(schema, data)
