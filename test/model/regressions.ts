import type { Step } from './steps';

/**
 * Sequences the model test once failed on, kept as fixed cases (`[push, steps]`, as fast-check printed
 * them, with the clock they started at when the time of day matters). Each runs in `npm test`; add the
 * counterexample of every new failure here with its fix.
 */
export const REGRESSIONS: Array<{ name: string; sequence: [boolean, Step[]]; at?: string }> = [
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
	{
		name: 'seed 3001 path 68: LN cancels occurrence appointments en masse; the brake keeps their series links too',
		sequence: [
			false,
			[
				{ kind: 'lnMassCancel', u: 0 },
				{ kind: 'pull', fault: null },
				{ kind: 'exRespond', m: 2, e: 35, response: 'tentativelyAccept' },
				{ kind: 'pull', fault: 56 },
				{ kind: 'lnSynchronize', a: 15 },
				{ kind: 'lnStatus', a: 8, status: 'Cancelled' },
				{ kind: 'lnSubject', a: 17 },
				{ kind: 'wait', minutes: 93 },
			],
		],
	},
	{
		name: 'seed 3001 path 176: an occurrence cancelled in Outlook just before midnight UTC (the next pull reads the window afresh)',
		at: '2026-12-15T23:13:46.313Z',
		sequence: [
			true,
			[
				{ kind: 'lnSynchronize', a: 37 },
				{ kind: 'lnMove', a: 1, to: 'later' },
				{ kind: 'exSubject', m: 2, e: 35 },
				{ kind: 'lnSubject', a: 16 },
				{ kind: 'exCreate', organizer: 2, invitees: [], private: false, series: true },
				{ kind: 'push' },
				{ kind: 'push' },
				{ kind: 'lnDelete', a: 6 },
				{ kind: 'exOccurrence', m: 0, e: 7, o: 23, what: 'cancel' },
				{ kind: 'exDeleteCopy', m: 1, e: 16 },
				{ kind: 'wait', minutes: 55 },
			],
		],
	},
	{
		name: 'seed 1060344877 path 74: a meeting handed to another organizer while the brake holds (the old one still goes: no two meetings)',
		at: '2026-12-20T02:57:36.913Z',
		sequence: [
			true,
			[
				{ kind: 'attack', variant: 'single', target: 40 },
				{ kind: 'wait', minutes: 232 },
				{ kind: 'exRespond', m: 1, e: 1, response: 'decline' },
				{ kind: 'exSubject', m: 2, e: 6 },
				{ kind: 'lnOrganizer', a: 28, p: 2 },
				{ kind: 'wait', minutes: 194 },
				{ kind: 'lnMassCancel', u: 0 },
				{ kind: 'pull', fault: null },
			],
		],
	},
	{
		name: 'seed 1060344877 path 252: LN moves an activity into the past and unticks Synchronize (its flags stay as they were)',
		at: '2027-01-05T04:33:14.253Z',
		sequence: [
			false,
			[
				{ kind: 'lnMove', a: 23, to: 'past' },
				{ kind: 'lnCreate', organizer: 0, invitees: [4] },
				{ kind: 'lnSynchronize', a: 3 },
				{ kind: 'lnCreate', organizer: 0, invitees: [0] },
				{ kind: 'push' },
				{ kind: 'lnMove', a: 34, to: 'later' },
				{ kind: 'pull', fault: null },
				{ kind: 'push' },
				{ kind: 'exAttendee', m: 1, e: 16, p: 4, add: false },
				{ kind: 'lnUserActive', u: 2, active: false },
				{ kind: 'push' },
				{ kind: 'exMove', m: 2, e: 35, to: 'later' },
			],
		],
	},
	{
		name: 'seed 3001 path 51 (mailboxes side by side): a meeting handed to another organizer; the old organizer decided her line from her calendar as it was (checked once more)',
		sequence: [
			false,
			[
				{ kind: 'lnRemoveAttendee', a: 16, l: 9 },
				{ kind: 'pull', fault: null },
				{ kind: 'wait', minutes: 107 },
				{ kind: 'exDeleteCopy', m: 2, e: 29 },
				{ kind: 'lnOrganizer', a: 23, p: 0 },
				{ kind: 'lnInvite', a: 21, l: 17 },
				{ kind: 'exCreate', organizer: 3, invitees: [], private: false, series: true },
				{ kind: 'push' },
				{ kind: 'wait', minutes: 168 },
				{ kind: 'exDeleteCopy', m: 2, e: 3 },
			],
		],
		at: '2027-01-07T13:07:39.653Z',
	},
	{
		name: 'seed 777 path 142: LN moves a meeting into the past as its organizer stops being a sync user (the attendee\'s copy does not bring it back)',
		sequence: [
			false,
			[
				{ kind: 'wait', minutes: 69 },
				{ kind: 'exSubject', m: 3, e: 19 },
				{ kind: 'lnStatus', a: 5, status: 'Cancelled' },
				{ kind: 'lnMove', a: 40, to: 'past' },
				{ kind: 'exRespond', m: 2, e: 35, response: 'accept' },
				{ kind: 'wait', minutes: 46 },
				{ kind: 'lnSubject', a: 4 },
				{ kind: 'lnAddAttendee', a: 27, p: 4 },
				{ kind: 'lnMove', a: 26, to: 'later' },
				{ kind: 'lnSynchronize', a: 22 },
				{ kind: 'lnUserActive', u: 0, active: false },
			],
		],
		at: '2027-01-15T22:31:41.513Z',
	},
	{
		name: 'seed 209523108 path 44: a meeting handed to a new organizer while a forged link fails another run of its attendee (that attendee is still checked again)',
		sequence: [
			false,
			[
				{ kind: 'exMove', m: 1, e: 32, to: 'past' },
				{ kind: 'lnAddAttendee', a: 12, p: 1 },
				{ kind: 'exDeleteCopy', m: 2, e: 29 },
				{ kind: 'pull', fault: null },
				{ kind: 'exSubject', m: 1, e: 11 },
				{ kind: 'exAttendee', m: 3, e: 40, p: 5, add: false },
				{ kind: 'lnInvite', a: 38, l: 29 },
				{ kind: 'lnAddAttendee', a: 25, p: 2 },
				{ kind: 'lnOrganizer', a: 8, p: 2 },
				{ kind: 'lnOrganizer', a: 33, p: 1 },
				{ kind: 'attack', variant: 'occurrence', target: 1 },
				{ kind: 'lnRemoveAttendee', a: 12, l: 20 },
			],
		],
		at: '2027-01-18T20:48:05.613Z',
	},
	{
		name: 'seed 209523108 path 348: LN moves an occurrence appointment days away from its original date (its attendee copy is looked for where it went)',
		sequence: [
			true,
			[
				{ kind: 'lnDelete', a: 32 },
				{ kind: 'exMove', m: 1, e: 34, to: 'later' },
				{ kind: 'wait', minutes: 184 },
				{ kind: 'push' },
				{ kind: 'exDeleteCopy', m: 0, e: 12 },
				{ kind: 'exDelete', m: 2, e: 17 },
				{ kind: 'exCreate', organizer: 1, invitees: [3, 1, 2], private: false, series: true },
				{ kind: 'lnAddAttendee', a: 38, p: 1 },
				{ kind: 'exMove', m: 2, e: 38, to: 'back' },
				{ kind: 'exMove', m: 0, e: 15, to: 'later' },
				{ kind: 'pull', fault: 68 },
				{ kind: 'lnMove', a: 21, to: 'back' },
			],
		],
		at: '2027-02-11T15:57:50.793Z',
	},
	{
		name: 'seed 356920599 path 288: a series renamed after one occurrence was moved (the moved one keeps its subject on both sides)',
		sequence: [
			false,
			[
				{ kind: 'exMove', m: 0, e: 29, to: 'later' },
				{ kind: 'exSubject', m: 0, e: 26 },
				{ kind: 'exDeleteCopy', m: 1, e: 16 },
				{ kind: 'exOccurrence', m: 2, e: 37, o: 18, what: 'cancel' },
				{ kind: 'attack', variant: 'single', target: 24 },
				{ kind: 'attack', variant: 'occurrence', target: 16 },
				{ kind: 'pull', fault: 36 },
			],
		],
		at: '2027-03-04T06:46:11.633Z',
	},
	{
		name: 'seed 277981650 path 122: LN unticks Synchronize on a meeting as its organizer stops being a sync user (the invited attendee\'s copy does not take LN\'s appointment back)',
		sequence: [
			false,
			[
				{ kind: 'lnContact', c: 39, what: 'unmark' },
				{ kind: 'wait', minutes: 68 },
				{ kind: 'lnMove', a: 9, to: 'back' },
				{ kind: 'push' },
				{ kind: 'exSubject', m: 2, e: 23 },
				{ kind: 'wait', minutes: 21 },
				{ kind: 'exDeleteCopy', m: 1, e: 14 },
				{ kind: 'exCreate', organizer: 3, invitees: [], private: true, series: true },
				{ kind: 'lnSynchronize', a: 3 },
				{ kind: 'exDelete', m: 2, e: 2 },
				{ kind: 'lnUserActive', u: 2, active: false },
			],
		],
		at: '2027-03-11T19:21:34.293Z',
	},
	{
		name: 'seed 49486264 path 230 (shrunk): LN gives a meeting to another organizer, then the old organizer renames it in Exchange (LN gets the rename as the meeting moves)',
		sequence: [
			false,
			[
				{ kind: 'lnOrganizer', a: 0, p: 2 },
				{ kind: 'wait', minutes: 26 },
				{ kind: 'exSubject', m: 0, e: 8 },
			],
		],
		at: '2027-03-27T06:03:11.353Z',
	},
	{
		name: 'seed 447412971 path 218 (shrunk): the organizer moves her meeting into the past as LN gives it to another organizer (hers stays as she left it, the new organizer makes the meeting LN has)',
		sequence: [
			false,
			[
				{ kind: 'exMove', m: 0, e: 12, to: 'past' },
				{ kind: 'lnOrganizer', a: 9, p: 2 },
			],
		],
		at: '2027-03-27T06:50:12.193Z',
	},
	{
		name: 'seed 1796878698 path 72 (shrunk): a sync user lists an activity as an occurrence of her own series, then LN makes her its organizer (the forged entry does not keep the meeting from being made)',
		sequence: [
			false,
			[
				{ kind: 'attack', variant: 'occurrence', target: 26 },
				{ kind: 'lnOrganizer', a: 1, p: 0 },
			],
		],
		at: '2027-03-28T22:22:25.473Z',
	},
	{
		name: 'seed 1017825265 path 13 (shrunk): LN invites someone to an appointment made from Exchange as its organizer deletes the meeting (the invited sync user looks again in the same pull)',
		sequence: [
			false,
			[
				{ kind: 'exAttendee', m: 0, e: 5, p: 5, add: false },
				{ kind: 'lnDelete', a: 5 },
				{ kind: 'lnAddAttendee', a: 14, p: 1 },
				{ kind: 'exDelete', m: 0, e: 6 },
			],
		],
		at: '2027-03-28T22:43:26.573Z',
	},
	{
		name: 'seed 1796528226 (shrunk): someone forges a link to a meeting whose new organizer then renames it in Exchange (the rename is hers to make, not the forger\'s)',
		sequence: [
			false,
			[
				{ kind: 'lnOrganizer', a: 1, p: 1 },
				{ kind: 'attack', variant: 'single', target: 31 },
				{ kind: 'pull', fault: null },
				{ kind: 'exSubject', m: 1, e: 39 },
			],
		],
		at: '2027-04-06T03:18:20.333Z',
	},
	{
		name: "seed -967774742 path 2: LN makes an attendee that came from Exchange (an 'Other' line) the meeting organizer (the model's edit does it as LN allows, her line becoming an Employee line; LN refused the flags of the line it left before)",
		sequence: [
			false,
			[
				{ kind: 'exAttendee', m: 2, e: 39, p: 3, add: true },
				{ kind: 'lnInvite', a: 11, l: 1 },
				{ kind: 'exMove', m: 0, e: 7, to: 'back' },
				{ kind: 'lnSubject', a: 33 },
				{ kind: 'lnDelete', a: 19 },
				{ kind: 'lnDelete', a: 10 },
				{ kind: 'pull', fault: 39 },
				{ kind: 'push' },
				{ kind: 'lnOrganizer', a: 18, p: 3 },
				{ kind: 'lnAddAttendee', a: 14, p: 3 },
				{ kind: 'lnSynchronize', a: 2 },
				{ kind: 'wait', minutes: 169 },
			],
		],
		at: '2027-04-06T11:58:22.573Z',
	},
	{
		name: 'seeds 796539486 path 166 and 796540556 path 113 (shrunk): the organizer of a meeting with a sync user invited stops being a sync user (her invitation is linked in the same pull and LN takes what the meeting says then, not when the invitation next changes)',
		sequence: [
			false,
			[
				{ kind: 'lnUserActive', u: 2, active: false },
				{ kind: 'wait', minutes: 165 },
			],
		],
		at: '2027-04-15T20:57:33.153Z',
	},
	{
		name: 'seed 1206002 path 232 (shrunk): a meeting whose organizer stopped being a sync user reaches LN through a push of the invitation, then LN unticks Synchronize (that link does not make the appointment one made from Exchange: the invited line gets No and No)',
		sequence: [
			true,
			[
				{ kind: 'lnUserActive', u: 2, active: false },
				{ kind: 'push' },
				{ kind: 'lnSynchronize', a: 3 },
			],
		],
		at: '2027-04-29T07:44:57.393Z',
	},
	{
		name: "seed 1206005 path 343 (shrunk): someone outside the sync users invites two of them, and the first by address declines before any run (the other attendee's calendar takes the meeting into LN)",
		sequence: [
			false,
			[
				{ kind: 'exCreate', organizer: 3, invitees: [2, 0, 3], private: false, series: false },
				{ kind: 'exRespond', m: 0, e: 9, response: 'decline' },
			],
		],
		at: '2027-05-22T08:20:48.473Z',
	},
	{
		name: 'seed 1206203 path 167 (shrunk by hand): two attendees of a meeting organized outside the sync users each invite someone to their direct copy (two meetings of their owners, neither the sync\'s: both are left be)',
		sequence: [
			false,
			[
				{ kind: 'exAttendee', m: 1, e: 40, p: 0, add: true },
				{ kind: 'exAttendee', m: 2, e: 10, p: 1, add: true },
			],
		],
		at: '2027-06-03T00:58:40.553Z',
	},
	{
		name: 'seed 1206205 path 224 (shrunk): LN removes a contact from a meeting as its organizer stops being a sync user (the invitation LN now follows brings her back, with No and No: nobody can invite her)',
		sequence: [
			false,
			[
				{ kind: 'lnRemoveAttendee', a: 0, l: 35 },
				{ kind: 'lnUserActive', u: 0, active: false },
			],
		],
		at: '2027-06-15T15:22:41.033Z',
	},
	{
		name: "seed 1206206 path 131 (shrunk): LN takes an outside guest off one occurrence of a series made in Exchange (Exchange cancels it for the guest and sends nobody else an update: the emulator compared the occurrence with its series)",
		sequence: [
			false,
			[
				{ kind: 'exCreate', organizer: 0, invitees: [1, 5], private: false, series: true },
				{ kind: 'pull', fault: null },
				{ kind: 'lnInvite', a: 25, l: 5 },
			],
		],
		at: '2027-06-10T09:30:57.873Z',
	},
	{
		name: "seed 1206402 path 88 (shrunk): LN gives a meeting made in Exchange to an organizer outside the sync users, then the Exchange meeting invites that person (LN's organizer line stands for her; no second line)",
		sequence: [
			false,
			[
				{ kind: 'lnOrganizer', a: 16, p: 3 },
				{ kind: 'exAttendee', m: 0, e: 7, p: 3, add: true },
			],
		],
		at: '2027-06-17T13:13:55.293Z',
	},
];
