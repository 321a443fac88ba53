/**
 * Dense float32 peak (non-tensor-core FMA throughput, boost clock) of GPUs the check may meet, keyed
 * by a pattern on the adapter or CUDA device name, from the vendors' data sheets. The check reports
 * the fraction of this peak the biggest matmuls reach; an adapter not in the table is "unknown".
 * Order matters: the first matching row wins (H100 PCIe and NVL before the SXM default).
 */
export interface PeakRow { pattern: RegExp; name: string; f32Tflops: number }

export const F32_PEAKS: PeakRow[] = [
  { pattern: /H200/i, name: 'NVIDIA H200 (SXM)', f32Tflops: 67 },
  { pattern: /H100.*PCIe/i, name: 'NVIDIA H100 PCIe', f32Tflops: 51 },
  { pattern: /H100.*NVL/i, name: 'NVIDIA H100 NVL', f32Tflops: 60 },
  { pattern: /H100/i, name: 'NVIDIA H100 SXM (80GB HBM3)', f32Tflops: 67 },
  { pattern: /A100/i, name: 'NVIDIA A100', f32Tflops: 19.5 },
  { pattern: /L40S/i, name: 'NVIDIA L40S', f32Tflops: 91.6 },
  { pattern: /\bL4\b/i, name: 'NVIDIA L4', f32Tflops: 30.3 },
  { pattern: /RTX 4090/i, name: 'NVIDIA GeForce RTX 4090', f32Tflops: 82.6 },
  { pattern: /A10G/i, name: 'NVIDIA A10G', f32Tflops: 31.2 },
  { pattern: /\bT4\b/i, name: 'NVIDIA T4', f32Tflops: 8.1 },
];

/** The table row for an adapter or device name, or null (CPU drivers such as lavapipe are never listed). */
export function f32PeakFor(name: string): PeakRow | null {
  return F32_PEAKS.find((r) => r.pattern.test(name)) ?? null;
}
