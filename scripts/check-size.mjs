// Size limits from the developers' guide (issue 13): no line over 140 characters and no function over 100 lines
// in src/, lambdas/ and infra/. Biome's formatter wraps code but leaves long strings alone, so this catches those.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX_LINE = 140;
const MAX_FUNCTION_LINES = 100;
const ROOTS = ['src', 'lambdas', 'infra'];

const root = join(import.meta.dirname, '..');

function listTsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'cdk.out' ? [] : listTsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function functionName(node) {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) return parent.name.getText();
  return '<anonymous>';
}

function checkFile(path, problems) {
  const text = readFileSync(path, 'utf8');
  const file = relative(root, path);
  text.split('\n').forEach((line, index) => {
    if (line.length > MAX_LINE) problems.push(`${file}:${index + 1}: line is ${line.length} characters (max ${MAX_LINE})`);
  });
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const span = end - start + 1;
      if (span > MAX_FUNCTION_LINES) {
        problems.push(`${file}:${start + 1}: function ${functionName(node)} is ${span} lines (max ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

const problems = [];
for (const dir of ROOTS) for (const path of listTsFiles(join(root, dir))) checkFile(path, problems);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-size: ${problems.length} problem(s)`);
  process.exit(1);
}
