/**
 * Clip sources for pre-training: the built-in procedural corpus (endless, seeded, nothing to
 * download) or a dataset on disk (folder, file list, AudioSet CSV, any layout `listDataset` knows),
 * decoded in worker threads when the built worker script is present.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProceduralCorpus } from '../data/procedural/corpus';
import { DatasetError, listDataset } from '../data/datasets';
import { DecodePool, defaultWorkerUrl } from '../data/decode-pool';
import { loadAudio } from '../audio/file-io';
import type { ClipSource } from './data';

export function proceduralSource(seed: number, durationSec = 10, log?: (m: string) => void): ClipSource {
  const corpus = new ProceduralCorpus({ seed, durationSec, log });
  return {
    size: null,
    description: `procedural corpus (seed ${seed}, ${durationSec} s clips, types: ${corpus.types.join(', ')})`,
    load: async (i) => ({ samples: corpus.clip(i).samples }),
  };
}

/** A dataset on disk; throws DatasetError (a user error) when the path or its metadata is bad. */
export function fileSource(path: string, log: (m: string) => void = console.warn): ClipSource {
  const ds = listDataset(path);
  if (ds.missing > 0) log(`${ds.missing} files named by the metadata are missing (e.g. ${ds.missingExamples.slice(0, 3).join(', ')})`);
  const items = ds.items;
  if (items.length === 0) throw new DatasetError(ds.root, 'no audio files found');
  let pool: DecodePool | null = null;
  const url = defaultWorkerUrl();
  if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) pool = new DecodePool({ targetRate: 16000 });
  return {
    size: items.length,
    description: `${ds.layout} dataset at ${ds.root} (${items.length} files)`,
    async load(i) {
      const path = items[i].path;
      if (pool) {
        const r = await pool.decode(path);
        return r.ok ? { samples: r.samples } : { skip: `${path}: ${r.reason}` };
      }
      try {
        return { samples: (await loadAudio(path, 16000)).samples };
      } catch (e) {
        return { skip: `${path}: ${(e as Error).message}` };
      }
    },
    async close() { await pool?.close(); },
  };
}
