/**
 * RFC 4180 CSV parsing with the dialect quirks of audio dataset metadata: quoted fields with
 * embedded commas, doubled quotes and newlines; CRLF or LF; a UTF-8 BOM; AudioSet's spaces after
 * the commas (`, "labels"`); and '#' comment lines.
 */

/** Parsing options. */
export interface CsvOptions {
  /** Skip lines whose first character is this (outside quotes). Default none. */
  comment?: string;
  /** Trim spaces/tabs around unquoted fields and before an opening quote. Default true. */
  trim?: boolean;
  /** Field separator. Default ','. */
  delimiter?: string;
}

/** Error for malformed CSV, saying where (e.g. "line 12" or "data row 3"). */
export class CsvError extends Error {
  constructor(message: string, readonly where: string) {
    super(`${where}: ${message}`);
    this.name = 'CsvError';
  }
}

/**
 * Parse CSV text into rows of fields. Blank lines are dropped.
 * @throws CsvError for an unterminated quote or text after a closing quote.
 */
export function parseCsv(text: string, opts: CsvOptions = {}): string[][] {
  const delim = opts.delimiter ?? ',';
  const trim = opts.trim ?? true;
  const comment = opts.comment;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let line = 1;
  let i = 0;
  const n = text.length;
  let atLineStart = true;
  let fieldQuoted = false;
  const isSpace = (c: string): boolean => c === ' ' || c === '\t';

  const endField = (): void => {
    row.push(trim && !fieldQuoted ? field.trim() : field);
    field = '';
    fieldQuoted = false;
  };
  const endRow = (): void => {
    endField();
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };

  while (i < n) {
    if (atLineStart && comment && text.startsWith(comment, i)) {
      while (i < n && text[i] !== '\n') i++;
      i++;
      line++;
      continue;
    }
    atLineStart = false;
    const c = text[i];
    if (c === '"' && (field === '' || (trim && field.trim() === ''))) {
      // Quoted field: read to the matching quote; "" is a literal quote.
      field = '';
      fieldQuoted = true;
      const startLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvError('unterminated quoted field', `line ${startLine}`);
        const d = text[i];
        if (d === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        if (d === '\n') line++;
        field += d;
        i++;
      }
      while (i < n && isSpace(text[i]) && trim) i++;
      if (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') {
        throw new CsvError(`unexpected text after closing quote: "${text.slice(i, i + 10)}"`, `line ${line}`);
      }
      continue;
    }
    if (c === delim) { endField(); i++; continue; }
    if (c === '\r' || c === '\n') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      atLineStart = true;
      continue;
    }
    field += c;
    i++;
  }
  if (field !== '' || fieldQuoted || row.length > 0) endRow();
  return rows;
}

/**
 * Parse CSV with a header row into records keyed by (trimmed) column name.
 * @throws CsvError when a row has a different number of fields than the header, or required
 *   columns are missing.
 */
export function parseCsvRecords(text: string, required: string[] = [], opts: CsvOptions = {}): Record<string, string>[] {
  const rows = parseCsv(text, opts);
  if (rows.length === 0) throw new CsvError('no header row', 'line 1');
  const header = rows[0].map((h) => h.trim());
  const missing = required.filter((r) => !header.includes(r));
  if (missing.length > 0) throw new CsvError(`missing column(s) ${missing.join(', ')} (header: ${header.join(', ')})`, 'header');
  return rows.slice(1).map((r, k) => {
    if (r.length !== header.length) {
      throw new CsvError(`expected ${header.length} fields, got ${r.length}`, `data row ${k + 1}`);
    }
    const rec: Record<string, string> = {};
    header.forEach((h, j) => { rec[h] = r[j]; });
    return rec;
  });
}
