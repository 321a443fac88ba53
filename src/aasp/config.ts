/**
 * AaSP configuration: model sizes (spec 4, 5.5), the self-supervised recipe (spec 5) and the front
 * end (spec 2). Presets `tiny`, `tiny-cpu`, `small`, `base`; a JSON file may start from a preset (`"base": "tiny"`)
 * and override any field. Every field is validated so a bad file fails with a message naming it.
 */

export type MaskType = 'random' | 'inverse-block';

export interface AaspConfig {
  /** Preset name or file the config came from (informational). */
  name: string;
  // ---- encoder (spec 4)
  D: number;
  depth: number;
  heads: number;
  // ---- predictor (spec 5.5)
  Dp: number;
  predDepth: number;
  predHeads: number;
  // ---- AaPE (spec 3)
  aape: boolean;
  /** SBLU modes M. */
  modes: number;
  /** SBLU kernel length K. */
  K: number;
  // ---- front end (spec 2)
  nMels: number;
  /** Crop length in frames (608 → T' = 38). */
  cropFrames: number;
  patch: number;
  melMean: number;
  melStd: number;
  // ---- self-supervised recipe (spec 5)
  masks: number;
  maskRatio: number;
  maskType: MaskType;
  /** λ: contrastive weight (0 turns the contrastive loss and `proj` off). */
  lambda: number;
  /** InfoNCE temperature τ. */
  tau: number;
  projDim: number;
  /** Target = mean of the last L_t block outputs (after `norm`). */
  targetLayers: number;
  /**
   * Weight of the masked-patch reconstruction term (not in spec 5; 0 = off, the spec's objective).
   * When > 0 the student gains a `recon` head (Linear D → patch², saved as `recon.*`) that maps each
   * predictor output to its masked patch of the normalised log-mel, and the loss adds
   * reconWeight · mean squared error (src/aasp/losses.ts, docs/model.md).
   */
  reconWeight: number;
  /**
   * Weight of the feature-decorrelation term (not in spec 5; 0 = off, the spec's objective): the
   * loss adds decorWeight · the mean squared off-diagonal correlation of the student's clip
   * embeddings over the batch (src/aasp/losses.ts, docs/model.md). Adds no parameters.
   */
  decorWeight: number;
  /**
   * Band-shifted hard negatives (not in spec 5; 0 = off, the spec's batches): the last shiftPairs
   * clips of every batch are copies of the first shiftPairs, with the log-mel moved up or down by
   * 1..shiftMaxBands mel bands (src/train/shift-pairs.ts). Each copy is another clip to InfoNCE, so
   * the clip embedding must tell a clip from itself at another pitch. Needs batch ≥ 2·shiftPairs.
   */
  shiftPairs: number;
  /** Largest band shift of a shifted copy (shiftPairs > 0 only). */
  shiftMaxBands: number;
  /**
   * Student parameters kept at their initial values, by name prefix (not in spec 5; [] = all train,
   * the spec's recipe). ["patch_embed."] keeps the random patch projection, as MoCo v3 does for
   * ViTs; the teacher, a copy that follows the student, keeps it too (src/train/step.ts).
   */
  frozen: string[];
  /**
   * Learning-rate multipliers by student parameter-name prefix (not in spec 5; {} = one rate for
   * all, the spec's recipe). A parameter takes the factor of the longest prefix it starts with, 1
   * if none: {"patch_embed.": 3, "aape.": 3, "blocks.0.": 3} trains the token embedding and the first
   * block at 3× the scheduled rate (src/train/step.ts). Weight decay, being decoupled, scales with
   * it. A prefix that names no parameter is a config error.
   */
  lrScale: Record<string, number>;
  // ---- optimisation (spec 5.9, 5.10)
  /** Base learning rate; the peak is baseLr·B/256 when lrScaleWithBatch, else baseLr. */
  baseLr: number;
  lrScaleWithBatch: boolean;
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
  clip: number;
  /** Warm-up fraction of the total steps: W = max(1, floor(S·warmupFraction)). */
  warmupFraction: number;
  ema0: number;
  ema1: number;
}

const COMMON = {
  aape: true, modes: 4, K: 33,
  nMels: 80, cropFrames: 608, patch: 16, melMean: -7.1, melStd: 4.2,
  masks: 4, maskRatio: 0.7, maskType: 'random' as MaskType, lambda: 0.5, tau: 0.1, projDim: 256, targetLayers: 1, reconWeight: 0, decorWeight: 0, shiftPairs: 0, shiftMaxBands: 8, frozen: [] as string[], lrScale: {} as Record<string, number>,
  beta1: 0.9, beta2: 0.95, adamEps: 1e-8, weightDecay: 0.05, clip: 3.0, warmupFraction: 0.1,
};

const TINY: AaspConfig = { ...COMMON, name: 'tiny', D: 192, depth: 4, heads: 3, Dp: 128, predDepth: 2, predHeads: 4, baseLr: 1e-3, lrScaleWithBatch: false, ema0: 0.99, ema1: 0.999 };

export const PRESETS: Record<'tiny' | 'tiny-cpu' | 'small' | 'base', AaspConfig> = {
  tiny: TINY,
  /**
   * The tiny model for a CPU budget (docs/results.md): 192-frame crops (1.9 s, 60 tokens instead of
   * 190), so the default 1000 steps of 16 clips fit well under an hour on 2 lavapipe cores (times
   * in docs/results.md, "The tiny-cpu preset"); evaluation windows are 192 frames too. Peak lr 3e-4, a
   * third of tiny's: at 1e-3 pre-training falls below random init on the pitch and voice tasks,
   * at 3e-4 no task does under the ridge probe (docs/results.md runs L, M, N). Use with
   * --clip-seconds 3 --batch 16.
   */
  'tiny-cpu': { ...TINY, name: 'tiny-cpu', cropFrames: 192, baseLr: 3e-4 },
  small: { ...COMMON, name: 'small', D: 384, depth: 12, heads: 6, Dp: 256, predDepth: 4, predHeads: 8, baseLr: 3e-4, lrScaleWithBatch: true, ema0: 0.99995, ema1: 0.99999 },
  base: { ...COMMON, name: 'base', D: 768, depth: 12, heads: 12, Dp: 512, predDepth: 4, predHeads: 16, baseLr: 3e-4, lrScaleWithBatch: true, ema0: 0.99995, ema1: 0.99999 },
};

/** A configuration problem the user can fix (the CLI prints it and exits with code 2). */
export class ConfigError extends Error {
  constructor(msg: string) { super(msg); this.name = 'ConfigError'; }
}

type FieldKind = 'int+' | 'int0' | 'num' | 'num+' | 'bool' | 'ratio' | 'masktype' | 'str' | 'strs' | 'scales' | 'ema';
const FIELDS: Record<keyof AaspConfig, FieldKind> = {
  name: 'str', D: 'int+', depth: 'int+', heads: 'int+', Dp: 'int+', predDepth: 'int+', predHeads: 'int+',
  aape: 'bool', modes: 'int+', K: 'int+', nMels: 'int+', cropFrames: 'int+', patch: 'int+', melMean: 'num', melStd: 'num+',
  masks: 'int+', maskRatio: 'ratio', maskType: 'masktype', lambda: 'num', tau: 'num+', projDim: 'int+', targetLayers: 'int+', reconWeight: 'num', decorWeight: 'num', shiftPairs: 'int0', shiftMaxBands: 'int+', frozen: 'strs', lrScale: 'scales',
  baseLr: 'num+', lrScaleWithBatch: 'bool', beta1: 'ratio', beta2: 'ratio', adamEps: 'num+', weightDecay: 'num', clip: 'num+',
  warmupFraction: 'ratio', ema0: 'ema', ema1: 'ema',
};

function checkField(key: string, v: unknown, kind: FieldKind, where: string): void {
  const bad = (what: string) => new ConfigError(`${where}: "${key}" must be ${what}, got ${JSON.stringify(v)}`);
  switch (kind) {
    case 'int+': if (!Number.isInteger(v) || (v as number) <= 0) throw bad('a positive integer'); break;
    case 'int0': if (!Number.isInteger(v) || (v as number) < 0) throw bad('a non-negative integer'); break;
    case 'num': if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a number'); break;
    case 'num+': if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw bad('a positive number'); break;
    case 'bool': if (typeof v !== 'boolean') throw bad('true or false'); break;
    case 'ratio': if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw bad('a number in [0, 1)'); break;
    case 'ema': if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad('a number in [0, 1]'); break;
    case 'masktype': if (v !== 'random' && v !== 'inverse-block') throw bad('"random" or "inverse-block"'); break;
    case 'str': if (typeof v !== 'string') throw bad('a string'); break;
    case 'strs': if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) throw bad('a list of non-empty strings'); break;
    case 'scales':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('an object of parameter-name prefixes and positive factors');
      for (const [p, f] of Object.entries(v)) {
        if (p === '' || typeof f !== 'number' || !(f > 0) || !Number.isFinite(f)) throw bad(`an object of non-empty parameter-name prefixes and positive factors (entry ${JSON.stringify(p)}: ${JSON.stringify(f)})`);
      }
      break;
  }
}

/** Token grid (F', T') and count N. */
export function grid(cfg: AaspConfig): { Fp: number; Tp: number; N: number } {
  const Fp = cfg.nMels / cfg.patch, Tp = cfg.cropFrames / cfg.patch;
  return { Fp, Tp, N: Fp * Tp };
}

/** Masked count floor(r·N + 0.5) and visible count (spec 5.1). */
export function maskCounts(cfg: AaspConfig): { nMasked: number; nVisible: number } {
  const { N } = grid(cfg);
  const nMasked = Math.floor(cfg.maskRatio * N + 0.5);
  return { nMasked, nVisible: N - nMasked };
}

/**
 * Fields that shape only the objective, the optimiser or the label, never the encoder's weights at
 * init or its forward pass. A random init's feature-cache key leaves them out (`encoderIdentity`), so a
 * new recipe reuses the cached features of the random init it starts from. A field missing here only
 * costs a re-embedding; a field listed here by mistake would mix features, which
 * test/eval-model.test.ts guards by building both encoders and comparing their weights.
 */
export const OBJECTIVE_FIELDS: readonly (keyof AaspConfig)[] = [
  'name', 'Dp', 'predDepth', 'predHeads',
  'masks', 'maskRatio', 'maskType', 'lambda', 'tau', 'projDim', 'targetLayers', 'reconWeight', 'decorWeight', 'shiftPairs', 'shiftMaxBands', 'frozen', 'lrScale',
  'baseLr', 'lrScaleWithBatch', 'beta1', 'beta2', 'adamEps', 'weightDecay', 'clip', 'warmupFraction', 'ema0', 'ema1',
];

/** The config's encoder fields (all but OBJECTIVE_FIELDS), as stable JSON: what a random init's weights and forward depend on. */
export function encoderIdentity(cfg: AaspConfig): string {
  const drop = new Set<string>(OBJECTIVE_FIELDS);
  return JSON.stringify(Object.fromEntries(Object.entries(cfg).filter(([k]) => !drop.has(k)).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Fields added after the spec, with the values that keep its objective: older checkpoints lack them. */
const LATER_FIELDS: Partial<AaspConfig> = { reconWeight: 0, decorWeight: 0, shiftPairs: 0, shiftMaxBands: 8, frozen: [], lrScale: {} };

/** Check the relations between fields; throws ConfigError naming the problem. */
export function validateConfig(given: AaspConfig, where = 'config'): AaspConfig {
  const cfg = { ...LATER_FIELDS, ...given } as AaspConfig;
  for (const [k, kind] of Object.entries(FIELDS)) checkField(k, (cfg as unknown as Record<string, unknown>)[k], kind, where);
  const fail = (m: string) => { throw new ConfigError(`${where}: ${m}`); };
  if (cfg.D % cfg.heads) fail(`D ${cfg.D} is not divisible by heads ${cfg.heads}`);
  if (cfg.D % 4) fail(`D ${cfg.D} must be a multiple of 4 (2-D sin-cos position embedding)`);
  if (cfg.Dp % cfg.predHeads) fail(`Dp ${cfg.Dp} is not divisible by predHeads ${cfg.predHeads}`);
  if (cfg.Dp % 4) fail(`Dp ${cfg.Dp} must be a multiple of 4 (position embedding)`);
  if (cfg.nMels % cfg.patch) fail(`nMels ${cfg.nMels} is not a multiple of the patch size ${cfg.patch}`);
  if (cfg.cropFrames % cfg.patch) fail(`cropFrames ${cfg.cropFrames} is not a multiple of the patch size ${cfg.patch}`);
  if (cfg.targetLayers > cfg.depth) fail(`targetLayers ${cfg.targetLayers} exceeds depth ${cfg.depth}`);
  if (cfg.K % 2 === 0) fail(`K ${cfg.K} must be odd (the SBLU kernel has a centre tap)`);
  const { nMasked, nVisible } = maskCounts(cfg);
  if (nMasked < 1 || nVisible < 1) fail(`mask ratio ${cfg.maskRatio} leaves ${nVisible} visible and ${nMasked} masked of ${grid(cfg).N} tokens; both must be ≥ 1`);
  if (cfg.lambda < 0) fail(`lambda must be ≥ 0`);
  if (cfg.reconWeight < 0) fail(`reconWeight must be ≥ 0, got ${cfg.reconWeight}`);
  if (cfg.decorWeight < 0) fail(`decorWeight must be ≥ 0, got ${cfg.decorWeight}`);
  if (cfg.shiftPairs > 0 && cfg.shiftMaxBands >= cfg.nMels) fail(`shiftMaxBands ${cfg.shiftMaxBands} must be below nMels ${cfg.nMels}`);
  if (cfg.shiftPairs > 0 && cfg.lambda === 0) fail(`shiftPairs ${cfg.shiftPairs} makes contrastive negatives; it needs lambda > 0`);
  if (cfg.lambda > 0 && cfg.masks < 2) fail(`the contrastive loss needs at least 2 masks per clip (masks = ${cfg.masks}); set lambda 0 or more masks`);
  return cfg;
}

/** A preset by name, or a JSON object (optionally `"base": "<preset>"`) merged over one (default tiny). */
export function configFromObject(obj: unknown, where: string): AaspConfig {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError(`${where}: expected a JSON object`);
  const o = { ...(obj as Record<string, unknown>) };
  const baseName = o.base ?? 'tiny';
  delete o.base;
  if (typeof baseName !== 'string' || !(baseName in PRESETS)) throw new ConfigError(`${where}: "base" must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(baseName)}`);
  for (const k of Object.keys(o)) {
    if (!(k in FIELDS)) throw new ConfigError(`${where}: unknown field "${k}" (known: base, ${Object.keys(FIELDS).join(', ')})`);
  }
  const cfg = { ...PRESETS[baseName as keyof typeof PRESETS], name: where, ...o } as AaspConfig;
  return validateConfig(cfg, where);
}

/** `tiny` | `tiny-cpu` | `small` | `base` | path to a JSON file. */
export async function loadConfig(spec: string): Promise<AaspConfig> {
  if (spec in PRESETS) return { ...PRESETS[spec as keyof typeof PRESETS] };
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (e) {
    throw new ConfigError(`--config ${spec}: not a preset (${Object.keys(PRESETS).join(', ')}) and not a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${spec}: not valid JSON (${(e as Error).message})`);
  }
  return configFromObject(obj, spec);
}

/** Peak learning rate for a batch size (spec 5.9). */
export function peakLr(cfg: AaspConfig, batch: number): number {
  return cfg.lrScaleWithBatch ? (cfg.baseLr * batch) / 256 : cfg.baseLr;
}
