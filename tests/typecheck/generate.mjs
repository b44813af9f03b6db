// Writes a TypeScript file that checks each response sample the tests
// recorded against the types openapi-typescript generated from
// openapi.yaml: a client generated from the spec must accept what the API
// really answers. Usage: node generate.mjs SAMPLES_DIR OUT_FILE
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [samplesDir, outFile] = process.argv.slice(2);
const samples = readdirSync(samplesDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(samplesDir, f), "utf8")));
if (samples.length === 0) {
  console.error("no response samples recorded: did the tests run?");
  process.exit(1);
}
const lines = [
  'import type { paths } from "./api";',
  "",
  "// The JSON body of one response of one operation; `default` where the",
  "// status has no entry of its own.",
  "type Body<P extends keyof paths, M extends keyof paths[P], S extends number> =",
  "  paths[P][M] extends { responses: infer R }",
  "    ? S extends keyof R",
  '      ? R[S] extends { content: { "application/json": infer T } } ? T : never',
  '      : R extends { default: { content: { "application/json": infer T } } } ? T : never',
  "    : never;",
  "",
];
samples.forEach((s, i) => {
  lines.push(`// ${s.method.toUpperCase()} ${s.path} -> ${s.status}`);
  lines.push(
    `export const sample${i} = ${JSON.stringify(s.body, null, 1)} satisfies Body<${JSON.stringify(s.path)}, ${JSON.stringify(s.method)}, ${s.status}>;`,
  );
  lines.push("");
});
writeFileSync(outFile, lines.join("\n"));
console.log(`typecheck: ${samples.length} response samples`);
