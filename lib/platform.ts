/**
 * Which native addon this machine needs, which ones the package ships, and the typed error
 * when the generated loader (`index.js`) finds none. The loader itself is generated and
 * throws a plain `Error` blaming npm; this layer says what is wrong and what to do.
 * @internal
 * @module
 */
import { PlatformError } from './errors'

/** The per-platform packages are named `shutterproof-<platform>` (see npm/ and scripts/pack-manifest.cjs). */
const PACKAGE_PREFIX = 'shutterproof-'

/**
 * This machine's platform in the addon's naming, e.g. `linux-x64-gnu`, `linux-arm64-musl`,
 * `darwin-arm64`, `win32-x64-msvc`.
 */
export function currentPlatform(): string {
  const base = `${process.platform}-${process.arch}`
  if (process.platform === 'win32') return `${base}-msvc`
  if (process.platform === 'linux') return `${base}-${isGlibc() ? 'gnu' : 'musl'}`
  return base
}

/** Node reports the glibc version it runs on; a musl Node (Alpine) reports none. */
function isGlibc(): boolean {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header
  return typeof header?.glibcVersionRuntime === 'string'
}

/** The platforms a prebuilt addon is published for: package.json `napi.targets`, named as napi-rs names them. */
export function supportedPlatforms(): string[] {
  const pkg = require('../package.json') as { napi: { targets: string[] } }
  return pkg.napi.targets.map(platformOfTriple)
}

const ARCH: Record<string, string> = {
  x86_64: 'x64',
  aarch64: 'arm64',
  i686: 'ia32',
  armv7: 'arm',
  riscv64gc: 'riscv64',
  powerpc64le: 'ppc64',
  s390x: 's390x',
}
const OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', windows: 'win32', freebsd: 'freebsd' }

/** `aarch64-unknown-linux-musl` → `linux-arm64-musl`, `x86_64-apple-darwin` → `darwin-x64`. */
function platformOfTriple(triple: string): string {
  const [cpu = '', , os = '', abi] = triple.split('-')
  const name = `${OS[os] ?? os}-${ARCH[cpu] ?? cpu}`
  return abi === undefined ? name : `${name}-${abi}`
}

/**
 * Requires the generated loader and, when it fails, throws a {@link PlatformError}
 * instead of its plain `Error`: `E_UNSUPPORTED_PLATFORM` when no addon is published for
 * this platform, `E_NATIVE_LOAD` when one is but could not be loaded here.
 */
export function requireNativeBinding(): unknown {
  try {
    return require('../index.js')
  } catch (err) {
    throw nativeLoadError(err)
  }
}

function nativeLoadError(err: unknown): PlatformError {
  const platform = currentPlatform()
  const supported = supportedPlatforms()
  const node = `Node ${process.versions.node}`
  if (!supported.includes(platform)) {
    return new PlatformError(
      'E_UNSUPPORTED_PLATFORM',
      `shutterproof has no prebuilt native addon for ${platform} (${node}); prebuilt addons exist for ${supported.join(', ')}. ` +
        `Build it from source (needs Rust and a C compiler): in a clone of the shutterproof repository run ` +
        `\`npm ci && npm run build:native:release\`, then set NAPI_RS_NATIVE_LIBRARY_PATH to the shutterproof.${platform}.node it writes ` +
        `(README, "Build from source").`,
      { platform, supported, cause: err },
    )
  }
  const causes = causeMessages(err)
  const pkgName = PACKAGE_PREFIX + platform
  const missing = causes.some((m) => m.includes(`Cannot find module '${pkgName}'`))
  const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
  const why = override
    ? `NAPI_RS_NATIVE_LIBRARY_PATH=${override} could not be loaded (${causes[0] ?? 'no detail'}); unset it or point it at a shutterproof.${platform}.node.`
    : missing
      ? `its package ${pkgName} is not installed. npm leaves it out when installing with --omit=optional (or --no-optional), ` +
        `or from a package-lock.json made on another platform: reinstall with optional dependencies ` +
        `(\`rm -rf node_modules && npm install\`; if that is not enough, \`npm install ${pkgName}\`).`
      : `it did not load: ${loadFailures(causes).join('; ')}. Reinstall shutterproof, or build the addon from source (README, "Build from source").`
  return new PlatformError(
    'E_NATIVE_LOAD',
    `shutterproof could not load its native addon for ${platform} (${node}): ${why}`,
    {
      platform,
      supported,
      cause: err,
    },
  )
}

/** What went wrong beyond "not found here": the loader also tries files that are never there in an installed package. */
function loadFailures(causes: string[]): string[] {
  const real = causes.filter((m) => !m.startsWith('Cannot find module'))
  return real.length > 0 ? real : causes
}

/** The generated loader chains each attempt's error through `cause`; its own message says nothing specific. */
function causeMessages(err: unknown): string[] {
  const out: string[] = []
  for (let e = (err as { cause?: unknown })?.cause; e; e = (e as { cause?: unknown }).cause) {
    const first = String((e as { message?: unknown }).message ?? e).split('\n')[0]!
    out.push(first)
  }
  return out
}
