/**
 * `aasp-webgpu/audio`: the audio front end (docs/model.md section 2): decoding WAV/FLAC/MP3/Ogg
 * Vorbis from bytes, resampling, the log-mel spectrogram on the CPU (float64 reference and a fast
 * float32 path) and on the GPU, crops and WAV encoding. Portable: file helpers that need Node's
 * file system are exported only by the Node build (`loadAudio`, `writeWavFile`).
 */
export { decodeAudio, sniffFormat, mixToMono, AudioDecodeError, type DecodedAudio, type AudioFormat } from './decode';
export { resample, resampledLength, type ResampleOptions } from './resample';
export { logMelCpu, numFrames, DEFAULT_LOGMEL_CONFIG, type LogMelConfig, type LogMel } from './logmel-cpu';
export { logMelCpuFast } from './logmel-cpu-fast';
export { logMelGpu, LogMelGpu, type LogMelGpuTuning } from './logmel-gpu';
export { melFilterbank, hannWindow, hzToMelSlaney, melToHzSlaney } from './mel-filters';
export { cropOrPadFrames, padFramesToMultiple, type CroppedLogMel } from './crop';
export { readWav, isWav, type WavData } from './wav-read';
export { encodeWav, type WavEncoding } from './wav-write';
