/**
 * The contract of every text augmentation operator (family `text`): typed params with a strict
 * schema; randomness only from the given Rng (same seed ⇒ same output, another stream ⇒ another
 * output); apply is pure and replays from the recorded params; the pipeline's YAML/JSON round trip
 * is exact; protected spans survive ("iPhone 13 128GB", "2x4 8 ft."; quantities keep their value
 * under the operators that target them); a whole pipeline run over a list of queries is
 * byte-identical; every operator declares whether it keeps the meaning.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWithSchema, Rng } from '../../src/core/index.ts';
import {
  augmentedTextsToJsonl, augmentTexts, buildPipeline, buildTextPipeline, canonicalQuantity, pipelineFromJson, pipelineFromYaml, pipelineToJson, pipelineToYaml, protectedSpans,
  textFamily, tokenize, unitTokens, type TextContext, type TextOperatorDef,
} from '../../src/augment/index.ts';
import { checkBadParams } from './helpers.ts';
import { homeDepotFixture, PROTECTED_INPUTS } from '../augment/text/fixtures.ts';

const fx = homeDepotFixture();
const ctx: TextContext = fx.resources;
const queries = [...fx.groups.slice(0, 40).map((g) => g.query), ...PROTECTED_INPUTS];
/** Configs that make each operator act on most inputs (abbreviate and unit_variant are deterministic at ratio 1). */
const ACTIVE: Record<string, Record<string, unknown>> = {
  synonym_replace: { ratio: 0.5 },
  random_insert: { ratio: 0.3 },
  random_delete: { ratio: 0.5 },
  typo: { rate: 0.5 },
  unit_variant: { ratio: 0.7 },
  abbreviate: { ratio: 0.5 },
  reformulate: { ratio: 0.5 },
};

/** The spans of `text` in comparable form: verbatim, or, for operators that target quantities, quantities by value. */
function spans(text: string, byValue: boolean): string[] {
  return tokenize(text, ctx.brands)
    .units.filter((u) => u.kind === 'protected')
    .map((u) => (u.kind === 'protected' ? u.parts.map((p) => (byValue && p.kind === 'quantity' ? canonicalQuantity(p.tokens) : p.tokens.join(' '))).join(' ') : ''));
}

describe('text operators: the registry', () => {
  it('holds the text operators and nothing of the sequence family', () => {
    assert.ok(textFamily.names().length >= 12);
    assert.ok(!textFamily.names().includes('crop'));
  });
});

for (const entry of textFamily.operators.entries()) {
  const def = entry.def as TextOperatorDef<unknown, unknown>;
  const name = entry.name;
  const spec = { version: 1, family: 'text', name: `contract-${name}`, steps: [{ op: name, ...ACTIVE[name] }] };

  describe(`text operator ${name}`, () => {
    it('params: strict schema with defaults; bad params are ConfigErrors naming the key', () => {
      assert.ok(entry.description.length > 0);
      assert.deepEqual(parseWithSchema(entry.schema, {}), entry.defaults);
      checkBadParams(entry.schema, [], (raw) => textFamily.operators.parse(name, raw, ['steps', 0]), 'steps[0].', name);
      assert.throws(() => buildTextPipeline({ steps: [{ op: name, hiden_typo: 1 }] }), (e: Error & { location?: { field?: string } }) => e.name === 'ConfigError' && e.location?.field === 'hiden_typo' && /step 1/.test(e.message));
      assert.equal(typeof def.labelPreserving(parseWithSchema(entry.schema, {})), 'boolean', 'declares whether it keeps the meaning');
    });

    it('same seed ⇒ same output; another Rng stream ⇒ another output somewhere; the chain replays exactly', () => {
      const p = buildTextPipeline(spec);
      p.validate(ctx);
      let differs = 0;
      queries.forEach((q, i) => {
        const a = p.augment(q, ctx, new Rng(31).split(i))[0]!;
        const b = p.augment(q, ctx, new Rng(31).split(i))[0]!;
        assert.deepEqual(b, a, 'same seed, same output and chain');
        const c = p.augment(q, ctx, new Rng(32).split(i))[0]!;
        if (c.output !== a.output) differs++;
        const chain = JSON.parse(JSON.stringify(a.chain));
        assert.equal(p.replay(q, chain, ctx), a.output, 'the recorded chain replays exactly');
        for (const e of chain) {
          const op = textFamily.operator(e.op);
          assert.equal(op.apply(q, e.params, ctx), op.apply(q, e.params, ctx), 'apply is pure');
        }
      });
      assert.ok(differs > 0, `${name}: another seed changes some output`);
    });

    it('pipeline YAML and JSON round trips give the same spec and output', () => {
      const p = buildTextPipeline(spec);
      for (const q of [pipelineFromYaml(pipelineToYaml(p), { family: textFamily }), pipelineFromJson(pipelineToJson(p), { family: textFamily }), buildPipeline(p.spec, { family: textFamily })]) {
        assert.deepEqual(q.spec, p.spec);
        assert.equal(pipelineToYaml(q), pipelineToYaml(p));
        assert.deepEqual(q.augment(queries[3]!, ctx, new Rng(5)), p.augment(queries[3]!, ctx, new Rng(5)));
      }
    });

    it('protected spans survive (quantities keep their value where the operator targets them)', () => {
      const byValue = def.targetsQuantities === true;
      const p = buildTextPipeline({ steps: [{ op: name, ...ACTIVE[name] }] });
      for (const text of PROTECTED_INPUTS) {
        const want = spans(text, byValue).sort();
        assert.ok(want.length > 0, `fixture ${text} has spans`);
        for (let s = 0; s < 25; s++) {
          const out = p.augment(text, ctx, new Rng(s))[0]!.output;
          const got = spans(out, byValue);
          for (const w of want) assert.ok(got.includes(w), `${name}: '${w}' of '${text}' survives in '${out}' (seed ${s})`);
          if (!byValue) for (const w of protectedSpans(text, ctx.brands)) assert.ok(out.includes(w), `${name}: '${w}' verbatim in '${out}'`);
        }
      }
    });
  });
}

describe('text pipelines', () => {
  it('a whole pipeline run over a list of queries is byte-identical for a seed, and differs for another', () => {
    const p = buildTextPipeline({
      name: 'four-steps',
      steps: [{ op: 'synonym_replace', p: 0.5 }, { op: 'one_of', steps: [{ op: 'random_swap' }, { op: 'random_insert' }] }, { op: 'typo', rate: 0.1 }, { op: 'unit_variant', p: 0.5 }],
    });
    const run = (seed: number) => augmentedTextsToJsonl(augmentTexts(queries, p, ctx, { seed, views: 2 }));
    const a = run(7);
    assert.equal(run(7), a);
    assert.notEqual(run(8), a);
    assert.equal(a.split('\n').length, queries.length * 2 + 1);
  });

  it('by_length counts tokens', () => {
    const p = buildTextPipeline({ steps: [{ op: 'by_length', threshold: 2, short: { op: 'abbreviate' }, long: { op: 'random_swap' } }] });
    assert.equal(p.augment('w/ handle', ctx, new Rng(1))[0]!.output, 'with handle');
    assert.deepEqual(p.augment('w/ handle', ctx, new Rng(1))[0]!.chain.map((e) => e.op), ['abbreviate']);
    assert.deepEqual(p.augment('door w/ handle', ctx, new Rng(1))[0]!.chain.map((e) => e.op), ['random_swap']);
  });

  it('a missing resource is a ConfigError naming the step', () => {
    const p = buildTextPipeline({ steps: [{ op: 'random_swap' }, { op: 'synonym_replace', source: 'domain' }] });
    assert.throws(() => p.validate({ brands: ctx.brands }), (e: Error) => e.name === 'ConfigError' && /step 2 \(synonym_replace\): needs a domain synonym table/.test(e.message));
    assert.throws(() => buildTextPipeline({ steps: [{ op: 'typo' }] }).validate({ brands: ctx.brands }), (e: Error) => /step 1 \(typo\): needs a typo profile/.test(e.message));
  });

  it('unit words of the tokens helper agree with what the tests compare', () => {
    assert.deepEqual(unitTokens(tokenize('2x4 8 ft.', ctx.brands).units[0]!), ['2x4', '8', 'ft.']);
  });
});
