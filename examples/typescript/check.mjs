// Fails when the hand-written sources escape the generated types: a type assertion (`x as T`,
// `<T>x`), the any type, or a comment that silences the compiler. Usage: node check.mjs DIR
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const dir = process.argv[2] ?? "src";
const problems = [];
for (const name of readdirSync(dir)) {
  if (!name.endsWith(".ts") || name.endsWith(".d.ts")) continue; // .d.ts: generated
  const path = join(dir, name);
  const text = readFileSync(path, "utf8");
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const report = (node, what) => {
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
    problems.push(`${path}:${line + 1}:${character + 1}: ${what}`);
  };
  const visit = (node) => {
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) report(node, "a type assertion");
    if (node.kind === ts.SyntaxKind.AnyKeyword) report(node, "the any type");
    ts.forEachChild(node, visit);
  };
  visit(file);
  for (const m of text.matchAll(/@ts-(ignore|expect-error|nocheck)/g)) {
    const { line } = file.getLineAndCharacterOfPosition(m.index);
    problems.push(`${path}:${line + 1}: @ts-${m[1]}`);
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`${dir}: no type assertions, no any, no @ts- comments`);
