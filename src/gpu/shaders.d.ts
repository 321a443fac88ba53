// WGSL sources are bundled as text: esbuild's plugin in build.mjs and Vite (vitest) both honour `?raw`.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
