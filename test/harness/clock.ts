/**
 * Real time, shifted on demand: `Date` (and so luxon, the emulators' clocks, token expiry and the
 * links' "linked at") moves on by the given amount at once, while timers and I/O keep running for
 * real. Guards that wait for a link to be old enough are exercised as real time would.
 */
const REAL_TIMERS = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

export function useShiftableClock(): void {
	jest.useFakeTimers({ advanceTimers: true, doNotFake: [...REAL_TIMERS] });
}

export function advanceClock(ms: number): void {
	jest.setSystemTime(Date.now() + ms);
}

export function useRealClock(): void {
	jest.useRealTimers();
}
