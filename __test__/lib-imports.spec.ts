/**
 * The TypeScript layer's modules depend only downward: no module reaches itself through
 * its imports — type-only imports and re-exports included, since a type cycle (audit ↔
 * registry was one) still ties two files' ideas together.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import ts from 'typescript'

const LIB = resolve(__dirname, '..', 'lib')

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return sources(join(dir, e.name))
    return e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  })
}

/** File → the files it imports or re-exports from (relative specifiers only). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
    const deps: string[] = []
    src.forEachChild((node) => {
      if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || !node.moduleSpecifier) return
      const spec = (node.moduleSpecifier as ts.StringLiteral).text
      if (!spec.startsWith('.')) return
      const base = resolve(dirname(file), spec)
      const target = [`${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(c))
      if (target) deps.push(target)
    })
    graph.set(file, deps)
  }
  return graph
}

/** The cycles of `graph`: its strongly connected components of more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1 || graph.get(v)!.includes(v)) out.push(component)
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

test('the check finds a cycle made of a type-only import and a re-export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-imports-'))
  try {
    writeFileSync(
      join(dir, 'audit.ts'),
      "import type { Info } from './registry'\nexport interface Row { n: number }\nexport const x = (i: Info) => i\n",
    )
    writeFileSync(
      join(dir, 'registry.ts'),
      "export type { Row } from './audit'\nexport interface Info { id: string }\n",
    )
    writeFileSync(join(dir, 'leaf.ts'), "import { x } from './audit'\nexport const y = x\n")
    const found = cycles(importGraph(sources(dir)))
    assert.equal(
      found.map((c) => c.map((f) => relative(dir, f)).sort()),
      [['audit.ts', 'registry.ts']],
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('no module of lib/ imports itself through others, type-only imports included', () => {
  const files = sources(LIB)
  assert.ok(files.length > 100, `only ${files.length} files found under ${LIB}`)
  const found = cycles(importGraph(files)).map((c) =>
    c
      .map((f) => relative(LIB, f))
      .sort()
      .join(' ↔ '),
  )
  assert.equal(found, [])
})

test.run()
