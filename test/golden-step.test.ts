/**
 * One full `tiny` training step against the PyTorch reference (test/reference/aasp_ssl.py,
 * fixture test/fixtures/golden/tiny_step.safetensors): fixture-init weights for student and teacher,
 * the fixture's input and masks; losses (1e-4 relative), intermediate tensors, the selected
 * gradients before clipping, the gradient norm, and the AdamW + EMA update (1e-3 relative).
 * The comparisons live in helpers/golden-step-core.ts, which the GPU check's runner
 * (`node dist/golden-step.js`) uses too; here each returned check is one assertion. The step runs
 * twice: with this adapter's kernel choices, and with those every GPU gets (PORTABLE_TUNING).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { checkForward, checkGradients, checkLosses, checkUpdate, loadGoldenStep, type GoldenCheck, type GoldenStep } from './helpers/golden-step-core';
import { PRESETS } from '../src/aasp/config';
import { PORTABLE_TUNING, setTuning, tuningFor, type Tuning } from '../src/gpu/tuning';

const gpu = useGpu();

function expectChecks(checks: GoldenCheck[]): void {
  expect(checks.length).toBeGreaterThan(0);
  for (const c of checks) {
    if (c.exact) expect(c.value, c.name).toBe(c.limit);
    else expect(c.value, c.name).toBeLessThan(c.limit);
  }
}

/** The four phases of the step against the fixture, as one test each. */
function goldenSuite(): void {
  let g: GoldenStep;

  beforeAll(() => {
    g = loadGoldenStep();
    expect(g.cfg).toEqual({ ...PRESETS.tiny }); // the fixture is exactly the tiny preset
    expect(g.configMatches).toBe(true);
  });

  it('forward intermediates: student V, teacher target, predictor P, projection embeddings', { timeout: 600_000 }, async () => {
    expectChecks(await checkForward(g));
  });

  it('losses, monitors and the gradient norm', { timeout: 600_000 }, async () => {
    expectChecks(await checkLosses(g));
  });

  it('selected gradients before clipping', async () => {
    const checks = await checkGradients(g);
    expect(checks.length).toBeGreaterThan(20);
    expectChecks(checks);
  });

  it('AdamW update (clipped, lr 1e-3, weight decay by module type) and EMA teacher', async () => {
    const checks = await checkUpdate(g);
    expect(checks.length).toBeGreaterThan(20);
    expectChecks(checks);
  });
}

describe('golden tiny training step (PyTorch reference)', () => {
  goldenSuite();
});

// The same step under the tuning every GPU gets (tile matmul with fused epilogues, the composed
// Lambda Encoder, SBLU tiles, kernels without subgroups): the GPU code path against the same fixture.
describe('golden tiny training step, GPU kernel choices (PORTABLE_TUNING)', () => {
  let adapterTuning: Tuning;
  beforeAll(() => {
    adapterTuning = tuningFor(gpu.rt());
    setTuning(gpu.rt(), PORTABLE_TUNING);
    expect(tuningFor(gpu.rt()).matmul).toBe('tile');
  });
  afterAll(() => { setTuning(gpu.rt(), adapterTuning); });
  goldenSuite();
});
