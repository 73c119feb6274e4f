import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { renderAsyncApiYaml, spliceTopicsTable } from './asyncapi-render';
import { ALL_EVENTS, deadLetterTopic } from './events';
import { consumerGroupId } from './topology';

const root = join(__dirname, '..', '..', '..', '..');
const committedYaml = readFileSync(join(root, 'docs', 'asyncapi.yaml'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('the AsyncAPI document, the README topic table and the contracts agree', () => {
  it('docs/asyncapi.yaml is exactly what the contracts generate', () => {
    expect(committedYaml).toBe(renderAsyncApiYaml());
  });

  it("the README's topic table is exactly what the contracts generate", () => {
    expect(readme).toBe(spliceTopicsTable(readme));
    for (const e of ALL_EVENTS) {
      expect(readme).toContain(`| \`${e.topic}\` | \`${e.type}\` v${e.schemaVersion} | ${e.producer} |`);
    }
  });

  it('is a valid AsyncAPI 3.0 document according to the official parser', async () => {
    const { document, diagnostics } = await new Parser().parse(committedYaml);
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('names every topic, dead-letter topic, producer and consumer group', () => {
    const doc = parse(committedYaml) as {
      channels: Record<string, { address: string }>;
      operations: Record<string, { action: string; bindings?: { kafka?: { groupId?: { enum: string[] } } } }>;
    };
    const addresses = Object.values(doc.channels).map((c) => c.address);
    for (const e of ALL_EVENTS) {
      expect(addresses).toContain(e.topic);
      expect(addresses).toContain(deadLetterTopic(e.topic));
      const ops = Object.entries(doc.operations);
      expect(ops.some(([id, op]) => id.startsWith(`${e.producer}_send_`) && op.action === 'send')).toBe(true);
      for (const c of e.consumers) {
        const groups = ops.flatMap(([, op]) => op.bindings?.kafka?.groupId?.enum ?? []);
        expect(groups).toContain(consumerGroupId(c));
      }
    }
  });
});
