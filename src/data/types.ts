/** Shared types of the dataset readers. */

/** One audio file of a dataset with whatever annotation its layout provides. */
export interface DatasetItem {
  /** Absolute path of the audio file. */
  path: string;
  /** Single class label (class name, not index). */
  label?: string;
  /** Multi-label annotation (AudioSet MIDs). */
  labels?: string[];
  /** Cross-validation fold (1-based, as the datasets number them). */
  fold?: number;
  /** Official split name: 'train' | 'valid' | 'test', or the AudioSet CSV's name. */
  split?: string;
  /** The source the clip comes from (NSynth: the instrument), for grouped cross-validation. */
  group?: string;
}

/** Dataset layouts the readers understand. */
export type LayoutName =
  | 'folder' | 'filelist' | 'class-folders' | 'audioset' | 'esc50' | 'us8k' | 'speechcommands' | 'nsynth';

/** A listed dataset. Items are in a deterministic order (sorted paths or metadata order). */
export interface Dataset {
  layout: LayoutName;
  /** The path the listing was made from. */
  root: string;
  items: DatasetItem[];
  /** Class names in label-index order, for single-label datasets. */
  classes?: string[];
  /** Entries named by the metadata whose audio file is not on disk (they are left out of items). */
  missing: number;
  /** Up to 10 of the missing entries, for the report. */
  missingExamples: string[];
}

/** Thrown when a dataset's metadata is absent or malformed. */
export class DatasetError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'DatasetError';
  }
}
