/**
 * Credentials, region and endpoint from the standard AWS places, in the AWS CLI's order:
 * explicit settings, then the environment (`AWS_ACCESS_KEY_ID`…, `AWS_REGION`,
 * `AWS_ENDPOINT_URL_S3`), then the profile in `~/.aws/credentials` and `~/.aws/config`
 * (static keys or `credential_process`). Keys are never taken from the command line and
 * never written anywhere by Shutterproof.
 * @internal
 * @module
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { CloudError } from '../../errors'

/** Keys for signing requests. */
export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  /** When temporary credentials (from `credential_process`) stop working. */
  expiration?: Date
  /** Where they came from, for messages (never the keys themselves). */
  source: string
}

type Section = Record<string, string>
type IniFile = Record<string, Section>

/**
 * Parses an AWS config or credentials file: `[section]`, `key = value`, comments, and
 * indented sub-settings (`s3 =` then `  addressing_style = path` becomes `s3.addressing_style`).
 */
export function parseIni(text: string): IniFile {
  const out: IniFile = {}
  let section: Section | undefined
  let parent: string | undefined
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) continue
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(raw)
    if (header) {
      section = out[header[1]!.trim()] ??= {}
      parent = undefined
      continue
    }
    const kv = /^(\s*)([^=]+?)\s*=\s*(.*?)\s*$/.exec(raw)
    if (!kv || !section) continue
    const [, indent, key, value] = kv as unknown as [string, string, string, string]
    if (indent && parent) section[`${parent}.${key.toLowerCase()}`] = value
    else {
      section[key.toLowerCase()] = value
      parent = value === '' ? key.toLowerCase() : undefined
    }
  }
  return out
}

async function readIni(path: string): Promise<IniFile> {
  try {
    return parseIni(await readFile(path, 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
}

/** The environment and files the chain reads; tests give their own. */
export interface AwsEnvironment {
  env: NodeJS.ProcessEnv
  home: string
}

/** What the profile (config and credentials files) says, merged. */
export interface Profile {
  name: string
  /** The profile was named explicitly (option, URL or `AWS_PROFILE`). */
  explicit: boolean
  settings: Section
  configFile: string
  credentialsFile: string
}

/** Reads the named profile (or `AWS_PROFILE`, else `default`) from both files. */
export async function loadProfile(
  name: string | undefined,
  aws: AwsEnvironment = { env: process.env, home: homedir() },
): Promise<Profile> {
  const chosen = name ?? aws.env.AWS_PROFILE ?? aws.env.AWS_DEFAULT_PROFILE
  const profile = chosen ?? 'default'
  const configFile = aws.env.AWS_CONFIG_FILE ?? join(aws.home, '.aws', 'config')
  const credentialsFile = aws.env.AWS_SHARED_CREDENTIALS_FILE ?? join(aws.home, '.aws', 'credentials')
  const config = await readIni(configFile)
  const creds = await readIni(credentialsFile)
  // In the config file every profile but `default` is written `[profile NAME]`.
  const fromConfig =
    config[`profile ${profile}`] ?? (profile === 'default' ? config.default : undefined) ?? {}
  const settings = { ...fromConfig, ...(creds[profile] ?? {}) }
  if (
    chosen !== undefined &&
    !config[`profile ${profile}`] &&
    !(profile === 'default' && config.default) &&
    !creds[profile]
  ) {
    throw new CloudError(
      'E_S3_NO_CREDENTIALS',
      `no profile "${profile}" in ${configFile} or ${credentialsFile}; add it (aws configure --profile ${profile}) or name another with --profile`,
    )
  }
  return { name: profile, explicit: chosen !== undefined, settings, configFile, credentialsFile }
}

const run = promisify(execFile)

/** Runs a profile's `credential_process` and reads the JSON it prints (version 1). */
async function fromProcess(command: string, profile: string): Promise<Credentials> {
  let stdout: string
  try {
    ;({ stdout } = await run('/bin/sh', ['-c', command], { timeout: 60_000, maxBuffer: 1024 * 1024 }))
  } catch (err) {
    throw new CloudError(
      'E_S3_NO_CREDENTIALS',
      `the credential_process of profile ${profile} failed (${(err as Error).message.split('\n')[0]}); run it by hand to see why`,
      { cause: err },
    )
  }
  let j: {
    Version?: number
    AccessKeyId?: string
    SecretAccessKey?: string
    SessionToken?: string
    Expiration?: string
  }
  try {
    j = JSON.parse(stdout)
  } catch {
    j = {}
  }
  if (j.Version !== 1 || !j.AccessKeyId || !j.SecretAccessKey) {
    throw new CloudError(
      'E_S3_NO_CREDENTIALS',
      `the credential_process of profile ${profile} did not print {"Version": 1, "AccessKeyId", "SecretAccessKey", …}`,
    )
  }
  const out: Credentials = {
    accessKeyId: j.AccessKeyId,
    secretAccessKey: j.SecretAccessKey,
    source: `credential_process of profile ${profile}`,
  }
  if (j.SessionToken) out.sessionToken = j.SessionToken
  if (j.Expiration) out.expiration = new Date(j.Expiration)
  return out
}

/**
 * Finds credentials: the environment (unless a profile was named), then the profile's
 * static keys, then its `credential_process`. Other kinds (SSO, assumed roles) are named
 * with the way around them.
 */
export async function findCredentials(
  profile: Profile,
  aws: AwsEnvironment = { env: process.env, home: homedir() },
): Promise<Credentials> {
  const { env } = aws
  if (!profile.explicit && (env.AWS_ACCESS_KEY_ID || env.AWS_SECRET_ACCESS_KEY)) {
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
      throw new CloudError(
        'E_S3_NO_CREDENTIALS',
        `only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; set both (or neither, to use ${profile.credentialsFile})`,
      )
    }
    const c: Credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      source: 'environment (AWS_ACCESS_KEY_ID)',
    }
    if (env.AWS_SESSION_TOKEN) c.sessionToken = env.AWS_SESSION_TOKEN
    return c
  }
  const s = profile.settings
  if (s.aws_access_key_id && s.aws_secret_access_key) {
    const c: Credentials = {
      accessKeyId: s.aws_access_key_id,
      secretAccessKey: s.aws_secret_access_key,
      source: `profile ${profile.name}`,
    }
    if (s.aws_session_token) c.sessionToken = s.aws_session_token
    return c
  }
  if (s.credential_process) return fromProcess(s.credential_process, profile.name)
  if (s.sso_session || s.sso_start_url || s.role_arn || s.web_identity_token_file) {
    throw new CloudError(
      'E_S3_NO_CREDENTIALS',
      `profile ${profile.name} uses SSO or an assumed role, which Shutterproof does not sign in to by itself; add "credential_process = aws configure export-credentials --profile ${profile.name} --format process" to a profile in ${profile.configFile} and use that one`,
    )
  }
  throw new CloudError(
    'E_S3_NO_CREDENTIALS',
    `no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put aws_access_key_id / aws_secret_access_key under [${profile.name}] in ${profile.credentialsFile} (never on the command line)`,
  )
}

/** Caches credentials, refreshing temporary ones five minutes before they expire. */
export function credentialCache(load: () => Promise<Credentials>): () => Promise<Credentials> {
  let current: Promise<Credentials> | undefined
  return async () => {
    const c = current ? await current.catch(() => undefined) : undefined
    if (c && (!c.expiration || c.expiration.getTime() - Date.now() > 5 * 60_000)) return c
    current = load()
    return current
  }
}
