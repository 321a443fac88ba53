// The flat index of a thread in a 1-D launch of workgroups of `wg` threads that the host spread over
// x and y (src/gpu/runtime.ts grid1d: at most 65535 workgroups per dimension).
fn thread_index(gid: vec3u, nwg: vec3u, wg: u32) -> u32 { return gid.x + gid.y * nwg.x * wg; }

// Element d of a rank-8 shape or stride list packed as two vec4s in a uniform.
fn dim(arr: array<vec4<u32>, 2>, d: u32) -> u32 { return arr[d / 4u][d % 4u]; }
