/**
 * Runs subjects in rounds, A B C D A B C D ..., so that drift of the machine (frequency,
 * page cache, other tenants) lands on every subject alike. Warm-up rounds are not recorded.
 * A subject that fails is counted; one that fails every warm-up round is dropped with its
 * error as the reason.
 */
import { summarize } from './stats.mjs';

async function sample(subject) {
  await subject.prepare?.();
  try {
    const start = performance.now();
    await subject.run();
    return performance.now() - start;
  } finally {
    await subject.after?.();
  }
}

export async function interleave(subjects, rounds, warmup, onProgress = () => {}) {
  const state = subjects.map((s) => ({ subject: s, samples: [], errors: 0, firstError: undefined, warmupFailures: 0, unavailable: s.unavailable }));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const st of state) {
      if (st.unavailable) continue;
      try {
        const ms = await sample(st.subject);
        if (round >= warmup) st.samples.push(ms);
      } catch (error) {
        st.errors += 1;
        st.firstError ??= String(error?.message ?? error).split('\n')[0];
        if (round < warmup && ++st.warmupFailures === warmup) st.unavailable = `failed every warm-up run: ${st.firstError}`;
      }
    }
    onProgress(round + 1, warmup + rounds);
  }
  return state.map((st) => ({
    key: st.subject.key,
    name: st.subject.name,
    ...(st.unavailable ? { unavailable: st.unavailable } : summarize(st.samples)),
    errors: st.errors,
    ...(st.firstError ? { firstError: st.firstError } : {}),
  }));
}
