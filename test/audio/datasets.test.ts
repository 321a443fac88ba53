import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav-write';
import { CsvError, parseCsv, parseCsvRecords } from '../../src/data/csv';
import { DatasetError, detectLayout, listDataset } from '../../src/data/datasets';

const base = mkdtempSync(join(tmpdir(), 'aasp-ds-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const wav = encodeWav(new Float32Array(160).fill(0.1), 16000);

function put(path: string, content: string | Uint8Array = wav): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

describe('CSV parser', () => {
  it('handles quotes, doubled quotes, embedded commas and newlines, CRLF and BOM', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"multi\nline",\r\n\r\n3,plain,last';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'], ['1', 'x, y', 'say "hi"'], ['2', 'multi\nline', ''], ['3', 'plain', 'last'],
    ]);
  });

  it('reads AudioSet rows: comments and a space before the quoted labels', () => {
    const text = '# Segments csv created Sun Mar  5 10:54:31 2017\n# YTID, start_seconds, end_seconds, positive_labels\n'
      + '--PJHxphWEs, 30.000, 40.000, "/m/09x0r,/t/dd00088"\n-0RWZT-miFs, 420.000, 430.000, "/m/03v3yw"\n';
    expect(parseCsv(text, { comment: '#' })).toEqual([
      ['--PJHxphWEs', '30.000', '40.000', '/m/09x0r,/t/dd00088'],
      ['-0RWZT-miFs', '420.000', '430.000', '/m/03v3yw'],
    ]);
  });

  it('keeps spaces inside quotes and reports malformed input', () => {
    expect(parseCsv('" a ",b')).toEqual([[' a ', 'b']]);
    expect(() => parseCsv('a,"open\nb,c')).toThrow(CsvError);
    expect(() => parseCsv('a,"x"y,c')).toThrow(/after closing quote/);
    expect(() => parseCsvRecords('a,b\n1,2,3', ['a'])).toThrow(/expected 2 fields, got 3/);
    expect(() => parseCsvRecords('a,b\n1,2', ['c'])).toThrow(/missing column/);
    expect(parseCsvRecords('a, b\n1, "2,3"')).toEqual([{ a: '1', b: '2,3' }]);
  });
});

describe('dataset layouts', () => {
  it('folder: recursive, by extension, sorted', () => {
    const root = join(base, 'folder');
    put(join(root, 'b.wav'));
    put(join(root, 'sub', 'deeper', 'a.flac'));
    put(join(root, 'a.MP3'));
    put(join(root, 'notes.txt'), 'x');
    put(join(root, 'c.ogg'));
    const ds = listDataset(root);
    expect(ds.layout).toBe('folder');
    expect(ds.items.map((i) => i.path.slice(root.length + 1))).toEqual(['a.MP3', 'b.wav', 'c.ogg', 'sub/deeper/a.flac']);
    expect(ds.items[0].label).toBeUndefined();
  });

  it('class folders: label from the folder name', () => {
    const root = join(base, 'classes');
    put(join(root, 'dog', '1.wav'));
    put(join(root, 'dog', '2.wav'));
    put(join(root, 'cat', '1.wav'));
    expect(detectLayout(root)).toBe('class-folders');
    const ds = listDataset(root);
    expect(ds.classes).toEqual(['cat', 'dog']);
    expect(ds.items.map((i) => i.label)).toEqual(['cat', 'dog', 'dog']);
  });

  it('file list: relative to the list, comments, optional tab label, missing counted', () => {
    const root = join(base, 'lists');
    put(join(root, 'audio', 'x.wav'));
    put(join(root, 'audio', 'y.wav'));
    const list = put(join(root, 'train.txt'), '# my list\naudio/x.wav\n\naudio/y.wav\tbird\naudio/gone.wav\n');
    const ds = listDataset(list);
    expect(ds.layout).toBe('filelist');
    expect(ds.items).toEqual([{ path: join(root, 'audio', 'x.wav') }, { path: join(root, 'audio', 'y.wav'), label: 'bird' }]);
    expect(ds.missing).toBe(1);
    expect(ds.missingExamples).toEqual(['audio/gone.wav']);
  });

  it('AudioSet: local files by <YTID>_<start> or <YTID>, .wav or .flac; missing ones counted', () => {
    const root = join(base, 'audioset');
    put(join(root, 'balanced_train_segments.csv'),
      '# Segments csv created Sun Mar  5 10:54:31 2017\n# num_ytids=4, num_segs=4, num_unique_labels=3\n'
      + '# YTID, start_seconds, end_seconds, positive_labels\n'
      + '--PJHxphWEs, 30.000, 40.000, "/m/09x0r,/t/dd00088"\n'
      + '--ZhevVpy1s, 50.000, 60.000, "/m/012xff"\n'
      + '-0RWZT-miFs, 420.000, 430.000, "/m/03v3yw"\n'
      + 'absentYTID1, 0.000, 10.000, "/m/09x0r"\n');
    put(join(root, 'audio', '--PJHxphWEs_30.wav'));
    put(join(root, 'audio', '--ZhevVpy1s.flac'));
    put(join(root, 'audio', '-0RWZT-miFs_420.000.wav'));
    put(join(root, 'audio', '-0RWZT-miFs_420.000.flac'));
    expect(detectLayout(root)).toBe('audioset');
    for (const ds of [listDataset(root), listDataset(join(root, 'balanced_train_segments.csv'))]) {
      expect(ds.layout).toBe('audioset');
      expect(ds.items.map((i) => i.path.slice(root.length + 1))).toEqual([
        'audio/--PJHxphWEs_30.wav', 'audio/--ZhevVpy1s.flac', 'audio/-0RWZT-miFs_420.000.wav',
      ]);
      expect(ds.items[0].labels).toEqual(['/m/09x0r', '/t/dd00088']);
      expect(ds.items[0].split).toBe('balanced_train');
      expect(ds.missing).toBe(1);
      expect(ds.missingExamples[0]).toContain('absentYTID1');
      expect(ds.classes).toEqual(['/m/012xff', '/m/03v3yw', '/m/09x0r', '/t/dd00088']);
    }
  });

  it('ESC-50: folds and categories, class order by target; from the root or the CSV', () => {
    const root = join(base, 'ESC-50-master');
    put(join(root, 'meta', 'esc50.csv'), 'filename,fold,target,category,esc10,src_file,take\n'
      + '1-100032-A-0.wav,1,0,dog,True,100032,A\n1-100038-A-14.wav,1,14,chirping_birds,False,100038,A\n'
      + '2-1000-A-0.wav,2,0,dog,True,1000,A\n5-9032-A-0.wav,5,0,dog,True,9032,A\n');
    for (const f of ['1-100032-A-0.wav', '1-100038-A-14.wav', '2-1000-A-0.wav']) put(join(root, 'audio', f));
    for (const ds of [listDataset(root), listDataset(join(root, 'meta', 'esc50.csv'))]) {
      expect(ds.layout).toBe('esc50');
      expect(ds.root).toBe(root);
      expect(ds.items.map((i) => [i.label, i.fold])).toEqual([['dog', 1], ['chirping_birds', 1], ['dog', 2]]);
      expect(ds.classes).toEqual(['dog', 'chirping_birds']);
      expect(ds.missing).toBe(1);
    }
  });

  it('UrbanSound8K: audio/fold<k>/', () => {
    const root = join(base, 'UrbanSound8K');
    put(join(root, 'metadata', 'UrbanSound8K.csv'), 'slice_file_name,fsID,start,end,salience,fold,classID,class\n'
      + '100032-3-0-0.wav,100032,0.0,0.317551,1,5,3,dog_bark\n100263-2-0-117.wav,100263,58.5,62.5,1,10,2,children_playing\n');
    put(join(root, 'audio', 'fold5', '100032-3-0-0.wav'));
    put(join(root, 'audio', 'fold10', '100263-2-0-117.wav'));
    const ds = listDataset(root);
    expect(ds.layout).toBe('us8k');
    expect(ds.items.map((i) => [i.path.slice(root.length + 1), i.label, i.fold])).toEqual([
      ['audio/fold5/100032-3-0-0.wav', 'dog_bark', 5], ['audio/fold10/100263-2-0-117.wav', 'children_playing', 10],
    ]);
    expect(ds.classes).toEqual(['children_playing', 'dog_bark']);
  });

  it('Speech Commands v2: splits from the lists, _background_noise_ excluded', () => {
    const root = join(base, 'speech_commands_v0.02');
    for (const f of ['yes/a_nohash_0.wav', 'yes/b_nohash_0.wav', 'yes/c_nohash_0.wav', 'no/a_nohash_0.wav', '_background_noise_/white_noise.wav']) {
      put(join(root, f));
    }
    put(join(root, 'validation_list.txt'), 'yes/b_nohash_0.wav\n');
    put(join(root, 'testing_list.txt'), 'yes/c_nohash_0.wav\nno/a_nohash_0.wav\n');
    put(join(root, 'LICENSE'), 'x');
    const ds = listDataset(root);
    expect(ds.layout).toBe('speechcommands');
    expect(ds.items.map((i) => [i.path.slice(root.length + 1), i.label, i.split])).toEqual([
      ['no/a_nohash_0.wav', 'no', 'test'], ['yes/a_nohash_0.wav', 'yes', 'train'],
      ['yes/b_nohash_0.wav', 'yes', 'valid'], ['yes/c_nohash_0.wav', 'yes', 'test'],
    ]);
  });

  it('NSynth: examples.json, configurable label, splits from the folder names', () => {
    const root = join(base, 'nsynth');
    const note = (fam: string, famId: number, pitch: number) =>
      ({ instrument_family: famId, instrument_family_str: fam, pitch, instrument_source: 0, instrument_source_str: 'acoustic' });
    put(join(root, 'nsynth-train', 'examples.json'), JSON.stringify({
      'guitar_acoustic_001-082-050': note('guitar', 3, 82), 'bass_synthetic_033-022-050': note('bass', 0, 22),
    }));
    put(join(root, 'nsynth-test', 'examples.json'), JSON.stringify({ 'keyboard_electronic_001-100-127': { ...note('keyboard', 4, 100), instrument_str: 'keyboard_electronic_001' } }));
    put(join(root, 'nsynth-train', 'audio', 'guitar_acoustic_001-082-050.wav'));
    put(join(root, 'nsynth-train', 'audio', 'bass_synthetic_033-022-050.wav'));
    put(join(root, 'nsynth-test', 'audio', 'keyboard_electronic_001-100-127.wav'));
    const ds = listDataset(root);
    expect(ds.layout).toBe('nsynth');
    expect(ds.items.map((i) => [i.label, i.split])).toEqual([['keyboard', 'test'], ['bass', 'train'], ['guitar', 'train']]);
    // The instrument is the item's group (grouped cross-validation) where the metadata names it.
    expect(ds.items.map((i) => i.group)).toEqual(['keyboard_electronic_001', undefined, undefined]);
    const byPitch = listDataset(join(root, 'nsynth-train'), { labelKey: 'pitch' });
    expect(byPitch.items.map((i) => i.label)).toEqual(['22', '82']);
    expect(listDataset(root, { labelKey: 'pitch' }).classes).toEqual(['22', '82', '100']);
    expect(() => listDataset(root, { labelKey: 'nope' })).toThrow(/has no "nope"/);
  });

  it('clear errors for unknown or broken metadata', () => {
    expect(() => listDataset(join(base, 'does-not-exist'))).toThrow(DatasetError);
    const bad = put(join(base, 'broken', 'meta', 'esc50.csv'), 'filename,fold\nx.wav,1\n');
    expect(() => listDataset(bad)).toThrow(/missing column\(s\) target, category/);
    const odd = put(join(base, 'odd.json'), '{}');
    expect(() => listDataset(odd)).toThrow(/cannot tell the dataset layout/);
  });
});
