import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatSimulation, parseRuleSet, simulate, type RecordedStudy } from '@triage/routing-domain';
import { loadRuleSet } from './routing.options';
import { parseRecordedStudies } from './simulate.input';

const USAGE = `usage: simulate --draft <rule-set.json> (--studies <recorded.json> | --routing-url <url>) [--current <rule-set.json>] [--only-changed] [--json]

  --draft         the draft rule set (JSON) to compare with the current one
  --studies       recorded studies: a JSON array, or JSON lines, of { study, runs, decidedAt }, priority.decided
                  payloads, or priority.decided envelopes exported from triage.priority.decided.v1
  --routing-url   a running routing service (e.g. http://127.0.0.1:8082): it replays every study it holds
  --current       the current rule set (default: ROUTING_RULES_FILE, else the shipped one); with --studies only
  --only-changed  list only studies whose decision would change
  --json          print the full result as JSON instead of the table`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  fetch?: typeof fetch;
}

/** Reads recorded studies from a JSON array or JSON lines. */
export function readRecordedStudies(text: string): RecordedStudy[] {
  const trimmed = text.trim();
  const doc = trimmed.startsWith('[') ? JSON.parse(trimmed) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  return parseRecordedStudies(doc);
}

/**
 * `nx run routing:simulate -- --draft draft.json --studies recorded.json`: what a draft rule set would
 * change, per study and in sum. Prints UIDs, priorities and rule ids only (no patient data). Exit 0, or 2
 * on bad input.
 */
export async function runSimulateCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        draft: { type: 'string' },
        studies: { type: 'string' },
        'routing-url': { type: 'string' },
        current: { type: 'string' },
        'only-changed': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  if (!args.draft || (args.studies === undefined) === (args['routing-url'] === undefined)) {
    io.err(USAGE);
    return 2;
  }
  try {
    const draft = parseRuleSet(JSON.parse(readFileSync(args.draft, 'utf8')));
    const onlyChanged = args['only-changed'] ?? false;
    if (args['routing-url']) {
      const url = new URL('/routing/simulate', args['routing-url']);
      if (!args.json) url.searchParams.set('format', 'text');
      const res = await (io.fetch ?? fetch)(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ draft, onlyChanged }) });
      const body = await res.text();
      if (!res.ok) {
        io.err(`routing answered ${res.status}: ${body.slice(0, 2000)}`);
        return 2;
      }
      io.out(body.trimEnd());
      return 0;
    }
    const current = args.current ? parseRuleSet(JSON.parse(readFileSync(args.current, 'utf8'))) : loadRuleSet();
    const result = simulate(current, draft, readRecordedStudies(readFileSync(args.studies as string, 'utf8')));
    io.out(args.json ? JSON.stringify(result, null, 2) : formatSimulation(result, onlyChanged));
    return 0;
  } catch (err) {
    io.err(err instanceof Error ? err.message : String(err));
    return 2;
  }
}
