import type { Benchmark } from './harness.js';

// Filled by the DLMS decode benchmark (Profile Generic buffer → typed rows).
export const benchmarks: Benchmark[] = [];
