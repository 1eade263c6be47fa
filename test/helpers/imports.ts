/**
 * Module specifiers of source files, by a regex scan rather than a compiler pass: cheap,
 * and it also catches require() and import(). Used by the layering rules and by checks of
 * what a worker thread loads.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Every module specifier in a source text (static, type-only, re-export, dynamic, require). */
export function importSpecifiers(content: string): string[] {
  // Drop comments so prose like "never import from 'electron'" in a doc comment is not a hit.
  const code = content.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"`])([^'"`\n]+)\1/g;
  return [...code.matchAll(re)].map((m) => m[2]!);
}

/**
 * The packages (bare specifiers, node: built-ins included) that a TypeScript module loads at
 * run time, following its relative imports through the tree. Type-only imports are skipped:
 * they are erased when compiled.
 */
export function packagesLoadedBy(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const content = fs.readFileSync(file, 'utf8').replace(/^\s*import\s+type\s[^;]*;/gm, '').replace(/^\s*export\s+type\s[^;]*;/gm, '');
    for (const spec of importSpecifiers(content)) {
      if (!spec.startsWith('.')) packages.add(spec);
      else visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return packages;
}
