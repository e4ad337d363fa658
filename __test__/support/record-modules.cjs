// Preloaded into a CLI process (`node -r`): at exit, writes the path of every module the
// process loaded through require (the CLI and its dependencies load nothing else) to the
// file named by $SHUTTERPROOF_MODULES_OUT, one a line.
'use strict'
const { writeFileSync } = require('node:fs')

process.on('exit', () => {
  writeFileSync(process.env.SHUTTERPROOF_MODULES_OUT, Object.keys(require.cache).join('\n') + '\n')
})
