// Preloaded into a CLI process (`node -r`): at exit, writes the path of every module the
// process loaded through require (the CLI and its dependencies load nothing else) to the
// file named by $SHUTTERPROOF_MODULES_OUT, one a line, then Node's own built-in modules
// it loaded as `node:<name>` (from process.moduleLoadList, internal ones left out).
'use strict'
const { writeFileSync } = require('node:fs')

process.on('exit', () => {
  const builtins = (process.moduleLoadList ?? [])
    .filter((m) => m.startsWith('NativeModule ') && !m.startsWith('NativeModule internal/'))
    .map((m) => `node:${m.slice('NativeModule '.length)}`)
  writeFileSync(
    process.env.SHUTTERPROOF_MODULES_OUT,
    [...Object.keys(require.cache), ...builtins].join('\n') + '\n',
  )
})
