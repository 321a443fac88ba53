// The bindings the two SBLU kernel families share (shaders/sblu.wgsl, shaders/sblu-rows.wgsl): src/aasp/sblu.ts
// binds the same buffers by these names whichever family runs. Each file declares its own Params
// and its further bindings (9 on).
@group(0) @binding(0) var<storage, read> u: array<f32>;            // [R, T]
@group(0) @binding(1) var<storage, read> alpha: array<f32>;        // [R, M]
@group(0) @binding(2) var<storage, read> omega: array<f32>;        // [R, M]
@group(0) @binding(3) var<storage, read> gain: array<f32>;         // [F, M]
@group(0) @binding(4) var<storage, read_write> S: array<f32>;      // [R, M, T]
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<storage, read> dS: array<f32>;           // [R, M, T]
@group(0) @binding(7) var<storage, read_write> du: array<f32>;     // [R, T]
@group(0) @binding(8) var<storage, read_write> part: array<f32>;   // [R, M, nTiles, 3] (rows: nTiles = 1)
