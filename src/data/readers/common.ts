/** Small helpers shared by the dataset readers. */
import { readFileSync } from 'node:fs';
import { CsvError, parseCsvRecords } from '../csv';
import { DatasetError, type Dataset, type DatasetItem, type LayoutName } from '../types';

/** Counts metadata entries whose audio is absent, keeping a few for the report. */
export class MissingFiles {
  count = 0;
  readonly examples: string[] = [];
  add(what: string): void {
    this.count++;
    if (this.examples.length < 10) this.examples.push(what);
  }
}

/** Read a metadata file, turning I/O failures into DatasetError. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new DatasetError(path, `cannot read metadata: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Read a CSV with a header, turning parse errors into DatasetError naming the file. */
export function readCsvRecords(path: string, required: string[]): Record<string, string>[] {
  try {
    return parseCsvRecords(readText(path), required);
  } catch (e) {
    if (e instanceof CsvError) throw new DatasetError(path, `bad CSV: ${e.message}`);
    throw e;
  }
}

/** Parse a positive integer field or fail with the file and row named. */
export function intField(rec: Record<string, string>, key: string, file: string): number {
  const v = Number(rec[key]);
  if (!Number.isInteger(v)) throw new DatasetError(file, `column ${key}: "${rec[key]}" is not an integer`);
  return v;
}

/** Assemble a Dataset, deriving sorted classes from the labels when none are given. */
export function makeDataset(layout: LayoutName, root: string, items: DatasetItem[], missing: MissingFiles, classes?: string[]): Dataset {
  let cls = classes;
  if (cls === undefined && items.some((i) => i.label !== undefined)) {
    cls = [...new Set(items.map((i) => i.label).filter((l): l is string => l !== undefined))];
    // Numeric labels (e.g. NSynth pitch) sort as numbers, so "21" comes before "100".
    const numeric = cls.every((c) => c.trim() !== '' && Number.isFinite(Number(c)));
    cls.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  }
  return { layout, root, items, classes: cls, missing: missing.count, missingExamples: missing.examples };
}
