// Where the analytics bench keeps its year of data (bench/analytics-data.ts writes it, bench/analytics.ts reads it).
export const BENCH_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gate06_bench';
export const BENCH_SCHEMA = 'gate06_bench';
/** 2025-01-01 00:00 in Vietnam: the generated year starts here. */
export const BENCH_T0 = Date.UTC(2025, 0, 1) - 7 * 3_600_000;
export const LANES_PER_SITE = 5;
