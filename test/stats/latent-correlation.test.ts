import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/core/index.ts';
import { continuousCoefficients, discreteHermiteCoefficients, intervalMeans, latentCorrelation, nearestCorrelation, normCdf, scoreCorrelation, symmetricEigen } from '../../src/stats/index.ts';

/** Category of a standard normal z under intervals cum (in u-space). */
function categoryOf(z: number, cum: readonly number[]): number {
  const u = normCdf(z);
  let k = 0;
  while (k < cum.length - 1 && u >= cum[k]!) k++;
  return k;
}

test('binary halves: ĉ₁ = Var(E[Z|C]) = 2/π, and a discretised-continuous pair scales ρ by it', () => {
  const c = discreteHermiteCoefficients([0.5, 1]);
  assert.ok(Math.abs(c[0]! - 2 / Math.PI) < 1e-12);
  assert.ok(Math.abs(c[1]!) < 1e-12, 'even terms vanish for a symmetric split');
  assert.ok(Math.abs(scoreCorrelation(0.5, c, continuousCoefficients()) - 0.5 * (2 / Math.PI)) < 1e-12);
  // Tetrachoric identity for a median split: corr(m_a, m_b) / Var(m) = (2/π) asin ρ.
  for (const rho of [-0.8, -0.3, 0.2, 0.7]) {
    const phi = scoreCorrelation(rho, c, c) / (2 / Math.PI);
    assert.ok(Math.abs(phi - (2 / Math.PI) * Math.asin(rho)) < 1e-6, `ρ=${rho}: ${phi}`);
  }
});

test('Monte Carlo: discretised bivariate normals give back their latent ρ (any cut points, any ρ)', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -0.85, max: 0.85, noNaN: true }),
      fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: 2, maxLength: 5 }),
      fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 0, max: 1000 }),
      (rho, wa, wb, seed) => {
        const cumOf = (w: number[]) => {
          const t = w.reduce((s, x) => s + x, 0);
          let acc = 0;
          const cum = w.map((x) => (acc += x) / t);
          cum[cum.length - 1] = 1;
          return cum;
        };
        const ca = cumOf(wa);
        const cb = cumOf(wb);
        const ma = intervalMeans(ca);
        const mb = intervalMeans(cb);
        const rng = new Rng(seed);
        const n = 40000;
        let e = 0;
        for (let i = 0; i < n; i++) {
          const x = rng.normal();
          const y = rho * x + Math.sqrt(1 - rho * rho) * rng.normal();
          e += ma[categoryOf(x, ca)]! * mb[categoryOf(y, cb)]!;
        }
        const est = latentCorrelation(e / n, discreteHermiteCoefficients(ca), discreteHermiteCoefficients(cb));
        return Math.abs(est - rho) < 0.08;
      },
    ),
    { numRuns: 15 },
  );
});

test('nearestCorrelation: leaves a valid matrix alone, turns an invalid one into a unit-diagonal positive-definite one', () => {
  const ok = [
    [1, 0.5],
    [0.5, 1],
  ];
  assert.deepEqual(nearestCorrelation(ok), { matrix: ok, adjusted: false });
  const bad = [
    [1, 0.99, -0.99],
    [0.99, 1, 0.99],
    [-0.99, 0.99, 1],
  ];
  const near = nearestCorrelation(bad);
  assert.equal(near.adjusted, true);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(near.matrix[i]![i]! - 1) < 1e-12);
  assert.ok(Math.min(...symmetricEigen(near.matrix).values) > 0);
  // Symmetric eigen: A v = λ v.
  const { values, vectors } = symmetricEigen(bad);
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 3; i++) {
      const av = bad[i]!.reduce((s, x, j) => s + x * vectors[j]![k]!, 0);
      assert.ok(Math.abs(av - values[k]! * vectors[i]![k]!) < 1e-9);
    }
  }
});
