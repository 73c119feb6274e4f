import { runSimulateCli } from '@triage/routing-feature';

// `npx nx run routing:simulate -- --draft draft.json --studies recorded.json` (see --help).
void runSimulateCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
}).then((code) => {
  process.exitCode = code;
});
