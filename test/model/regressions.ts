import type { Step } from './steps';

/**
 * Sequences the model test once failed on, kept as fixed cases (`[push, steps]`, as fast-check printed
 * them). Each runs in `npm test`; add the counterexample of every new failure here with its fix.
 */
export const REGRESSIONS: Array<{ name: string; sequence: [boolean, Step[]] }> = [
	{
		name: 'seed 3001 path 117: an attendee invites someone to a copy, then moves it (no update mail from the sync)',
		sequence: [
			true,
			[
				{ kind: 'attack', variant: 'single', target: 20 },
				{ kind: 'exAttendee', m: 1, e: 2, p: 4, add: true },
				{ kind: 'lnInvite', a: 12, l: 18 },
				{ kind: 'wait', minutes: 19 },
				{ kind: 'wait', minutes: 110 },
				{ kind: 'exMove', m: 1, e: 12, to: 'later' },
				{ kind: 'push' },
				{ kind: 'wait', minutes: 135 },
				{ kind: 'wait', minutes: 230 },
				{ kind: 'lnSynchronize', a: 14 },
			],
		],
	},
	{
		name: 'seed 3001 path 202: LN gives an occurrence appointment another organizer (its series link goes with the occurrence)',
		sequence: [
			false,
			[
				{ kind: 'lnSubject', a: 28 },
				{ kind: 'lnOrganizer', a: 39, p: 3 },
				{ kind: 'pull', fault: 63 },
				{ kind: 'lnRemoveAttendee', a: 15, l: 33 },
				{ kind: 'lnDelete', a: 27 },
				{ kind: 'exRespond', m: 2, e: 30, response: 'decline' },
				{ kind: 'wait', minutes: 16 },
				{ kind: 'exCreate', organizer: 1, invitees: [4], private: false, series: true },
			],
		],
	},
];
