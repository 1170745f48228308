/** A configuration problem: the variable it concerns and what is wrong, never a secret's value. */
export class ConfigError extends Error {
  readonly variable: string
  readonly problem: string

  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
    this.problem = problem
  }
}
