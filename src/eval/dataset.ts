/**
 * Datasets for evaluation (Node only): every layout the data readers know (ESC-50, UrbanSound8K,
 * Speech Commands v2, NSynth, AudioSet, folder per class, file lists) plus a generic labelled CSV,
 * which the readers do not cover: a header with a file column (file, filename, path or
 * slice_file_name), a label column (label, category, class or target) and optionally fold or split.
 * Paths are relative to the CSV's folder, or to an `audio/` folder beside it.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { listDataset, DatasetError, type Dataset, type DatasetItem, type LayoutName } from '../data/datasets';
import { parseCsvRecords } from '../data/csv';

export type EvalLayout = LayoutName | 'csv';

const FILE_COLS = ['file', 'filename', 'path', 'slice_file_name', 'audio'];
const LABEL_COLS = ['label', 'category', 'class', 'target'];

function isFileSync(p: string): boolean {
  try { return statSync(p).isFile(); } catch { return false; }
}

/** Read a generic labelled CSV (see the file comment). */
export function readLabelledCsv(csvPath: string): Dataset {
  const file = resolve(csvPath);
  let recs: Record<string, string>[];
  try {
    recs = parseCsvRecords(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DatasetError(file, `cannot read as CSV: ${(e as Error).message}`);
  }
  if (recs.length === 0) throw new DatasetError(file, 'no rows');
  const cols = Object.keys(recs[0]);
  const fileCol = FILE_COLS.find((c) => cols.includes(c));
  const labelCol = LABEL_COLS.find((c) => cols.includes(c));
  if (!fileCol || !labelCol) throw new DatasetError(file, `need a file column (${FILE_COLS.join('/')}) and a label column (${LABEL_COLS.join('/')}); header: ${cols.join(', ')}`);
  const base = dirname(file);
  const items: DatasetItem[] = [];
  const missing: string[] = [];
  for (const [k, r] of recs.entries()) {
    const name = r[fileCol];
    const cands = isAbsolute(name) ? [name] : [join(base, name), join(base, 'audio', name)];
    const path = cands.find(isFileSync);
    if (!path) { missing.push(name); continue; }
    const item: DatasetItem = { path, label: r[labelCol] };
    if (r.fold !== undefined && r.fold !== '') {
      const f = Number(r.fold);
      if (!Number.isInteger(f)) throw new DatasetError(file, `data row ${k + 1}: fold "${r.fold}" is not an integer`);
      item.fold = f;
    }
    if (r.split !== undefined && r.split !== '') item.split = r.split;
    items.push(item);
  }
  const classes = [...new Set(items.map((i) => i.label!))].sort();
  return { layout: 'filelist', root: file, items, classes, missing: missing.length, missingExamples: missing.slice(0, 10) };
}

/** List a dataset for evaluation; a CSV the readers do not recognise is read as a labelled CSV. */
export function listEvalDataset(path: string, opts: { layout?: EvalLayout; labelKey?: string } = {}): Dataset {
  if (!existsSync(path)) throw new DatasetError(resolve(path), 'no such file or folder');
  if (opts.layout === 'csv') return readLabelledCsv(path);
  try {
    return listDataset(path, { layout: opts.layout, labelKey: opts.labelKey });
  } catch (e) {
    if (e instanceof DatasetError && /\.csv$/i.test(path) && !opts.layout) return readLabelledCsv(path);
    throw e;
  }
}

/** Single-label items only (with their class list), or a DatasetError saying why not. */
export function singleLabel(ds: Dataset): { items: DatasetItem[]; classes: string[] } {
  const items = ds.items.filter((i) => i.label !== undefined);
  if (items.length === 0) {
    const multi = ds.items.some((i) => i.labels);
    throw new DatasetError(ds.root, multi ? 'multi-label data (AudioSet): linear evaluation needs one label per clip; use finetune (mAP)' : 'no labelled items (use a layout with labels: class folders, ESC-50, ...)');
  }
  const classes = ds.classes && ds.classes.length ? ds.classes : [...new Set(items.map((i) => i.label!))].sort();
  return { items, classes };
}
