/** The error `fn` throws (a refusal is the expected outcome); fails the test when it does not throw. */
export function refusalOf(fn: () => unknown): { code?: string; message?: string; hint?: string; issues?: { path: string }[] } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected a refusal');
}
