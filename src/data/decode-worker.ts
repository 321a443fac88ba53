/**
 * Worker-thread entry of the decode pool: decode + resample one file per request, off the main
 * thread. Built as its own bundle (dist/decode-worker.js) next to the main one.
 */
import { parentPort } from 'node:worker_threads';
import { AudioDecodeError } from '../audio/errors';
import { loadAudio } from '../audio/file-io';
import type { DecodeReply, DecodeRequest } from './decode-pool';

if (!parentPort) throw new Error('decode-worker must run as a worker thread');
const port = parentPort;

port.on('message', (req: DecodeRequest) => {
  loadAudio(req.path, req.targetRate).then(
    ({ samples, sampleRate }) => {
      // Transfer rather than copy; a view into a larger (or non-transferable) buffer is compacted first.
      const own = samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength ? samples : samples.slice();
      const reply: DecodeReply = { id: req.id, ok: true, samples: own, sampleRate };
      try {
        port.postMessage(reply, [own.buffer as ArrayBuffer]);
      } catch {
        port.postMessage(reply);
      }
    },
    (e: unknown) => {
      const reason = e instanceof AudioDecodeError ? e.reason : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
      const reply: DecodeReply = { id: req.id, ok: false, reason };
      port.postMessage(reply);
    },
  );
});
