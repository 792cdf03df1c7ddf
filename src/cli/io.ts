/** What every CLI command shares: the bad-input error and the file access it is given. */

/** Bad input: printed as one line, exit code 2. */
export class CliError extends Error {
  override name = "CliError";
}

export interface CliIo {
  readonly readFile: (path: string) => Promise<string>;
}
