/**
 * The benchmark summary's merging of repeated runs (bench/lib/summary.ts): each scenario is
 * reported by its median run, with that run's own note, and every run's time listed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeRuns, renderSummary } from '../bench/lib/summary.js';

const run = (s1: string, s4Bytes: number, s5: string | null): string =>
  [
    '== shoal-pair benchmark',
    `RESULT  S1_initial_large   ${s1} s   300.0 MB/s  B rx 1073741824 B`,
    `RESULT  S4_delta_insert    2.000 s   1.0 MB/s  B rx ${s4Bytes} B`,
    ...(s5 === null ? [] : [`RESULT  S5_scan_hash  ${s5} s  700.0 MB/s  VmRSS at end 90 MiB`]),
  ].join('\n');

test('three runs: each scenario is its median run, with every time kept in run order', () => {
  const merged = mergeRuns([run('3.300', 100, '1.400'), run('3.100', 200, '1.600'), run('3.500', 300, '1.200')]);
  const s1 = merged.results.get('S1_initial_large')!;
  assert.equal(s1.secs, 3.3);
  assert.deepEqual(s1.runs, [3.3, 3.1, 3.5]);
  // S4's times tie: the first of the middle ones is taken, and its note (bytes) with it.
  const s4 = merged.results.get('S4_delta_insert')!;
  assert.match(s4.note, /B rx (100|200|300) B/);
  assert.deepEqual(s4.runs, [2, 2, 2]);
  assert.equal(merged.results.get('S5_scan_hash')!.secs, 1.4);
});

test('an even number of runs reports the faster middle run; a run without a scenario is left out of it', () => {
  const merged = mergeRuns([run('3.0', 1, '1.5'), run('4.0', 1, null), run('2.0', 1, '1.1'), run('5.0', 1, '1.3')]);
  assert.equal(merged.results.get('S1_initial_large')!.secs, 3.0);
  const s5 = merged.results.get('S5_scan_hash')!;
  assert.equal(s5.secs, 1.3);
  assert.deepEqual(s5.runs, [1.5, 1.1, 1.3]);
});

test('the summary compares medians and lists the runs behind them', () => {
  const out = renderSummary([run('6.0', 10, '2.8'), run('5.0', 10, '2.6'), run('5.5', 10, '2.7')], [run('3.0', 5, '1.3'), run('2.5', 5, '1.4'), run('2.9', 5, '1.2')]);
  assert.match(out, /ratio: {5}time 0\.53x \(Shoal 1\.90x faster\)/);
  assert.match(out, /median of 3 runs: 3\.000 2\.500 2\.900 s/);
  // One run per side: no run list.
  assert.doesNotMatch(renderSummary(run('6.0', 1, '2.0'), run('3.0', 1, '1.0')), /median of/);
});
