import { afterAll, beforeAll } from 'vitest';
import { init, setRuntime, type Runtime } from '../../src/gpu/runtime';
import '../../src/ops';

/** Open one runtime for the test file and tear it down after. */
export function useGpu(): { rt: () => Runtime } {
  let rt: Runtime | null = null;
  beforeAll(async () => { rt = await init(); });
  afterAll(() => { rt?.destroy(); setRuntime(null); });
  return { rt: () => { if (!rt) throw new Error('runtime not ready'); return rt; } };
}
