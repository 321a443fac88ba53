/** `aasp-webgpu/audio` in Node: the portable front end plus file helpers on Node's file system. */
export * from './index';
export { loadAudio, writeWavFile } from './file-io';
