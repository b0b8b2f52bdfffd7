import type { Rng } from '../core/rng.ts';
import { Parameter, shapeSize } from './tensor.ts';

/** N(0, std²) initialisation, drawn in row-major order from rng. */
export function normalParameter(name: string, shape: readonly number[], std: number, rng: Rng): Parameter {
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
  return new Parameter(name, data, shape);
}

/** U(-bound, bound) initialisation, drawn in row-major order from rng. */
export function uniformParameter(name: string, shape: readonly number[], bound: number, rng: Rng): Parameter {
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = (rng.next() * 2 - 1) * bound;
  return new Parameter(name, data, shape);
}

export function constantParameter(name: string, shape: readonly number[], value: number): Parameter {
  return new Parameter(name, new Float32Array(shapeSize(shape)).fill(value), shape);
}
