import { calendarKey } from '../sync/report';
import type { SettledMark } from '../sync/settled';
import type { DeltaCursor } from './changes';

/**
 * What a mailbox's sync carries from one run to the next: the delta cursor of its calendar (per LN
 * company) and the notes of our own writes. Our writes come back in the next delta round; the
 * writers note the changeKey (or etag) each write left, and Get Changes takes the notes: an item
 * that still carries that key is an echo and costs nothing.
 *
 * Two homes, one interface:
 * - a row per mailbox in the n8n Data Table "LN Exchange Sync mailboxes", loaded into the
 *   execution that holds the mailbox's lease and written back by it: one writer per mailbox, however
 *   many executions run at once (n8n 2.x, queue mode);
 * - the workflow's static data, where Data Tables are not available (n8n 1.x, `n8n execute`): n8n
 *   saves it as one object at the end of each execution, so it is only safe with one run at a time.
 */
export interface SyncStateStore {
	cursor(mailbox: string, company: string): DeltaCursor | undefined;
	setCursor(mailbox: string, company: string, cursor: DeltaCursor): void;
	noteEcho(mailbox: string, itemId: string | null | undefined, changeKey: string | null | undefined): void;
	/** Takes (and forgets) the notes of a mailbox; `keep` reads them and leaves them for the next run (a dry run). */
	takeEchoes(mailbox: string, keep?: boolean): Map<string, string>;
	/** The mark of a settled calendar (settled.ts); `undefined` forgets it. */
	settled(mailbox: string, company: string): SettledMark | undefined;
	setSettled(mailbox: string, company: string, mark: SettledMark | undefined): void;
}

export type EchoNotes = Record<string, string>;

export interface MailboxState {
	cursors: Record<string, DeltaCursor>;
	echoes: EchoNotes;
	/** Per LN company. */
	settled?: Record<string, SettledMark>;
}

export interface StaticData {
	[key: string]: unknown;
}

const ECHOES_KEY = 'lnExchangeEchoes';
const SETTLED_KEY = 'lnExchangeSettled';

/** An @odata.etag is W/"<changeKey>"; compare on the changeKey. */
export function normalizeKey(value: string): string {
	return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * The store in the workflow's static data: echo notes in the global part, cursors in the static
 * data of the node that reads changes (`cursors` may be left out by nodes that only write).
 */
export function workflowStateStore(global: StaticData, cursors?: StaticData): SyncStateStore {
	const notesOf = () => (global[ECHOES_KEY] as Record<string, EchoNotes> | undefined) ?? {};
	return {
		cursor: (mailbox, company) => ((cursors?.cursors ?? {}) as Record<string, DeltaCursor>)[`${company}|${mailbox}`],
		setCursor(mailbox, company, cursor) {
			if (!cursors) throw new Error('cursors are kept by the node that reads changes');
			cursors.cursors = { ...((cursors.cursors ?? {}) as Record<string, DeltaCursor>), [`${company}|${mailbox}`]: cursor };
		},
		noteEcho(mailbox, itemId, changeKey) {
			if (!itemId || !changeKey) return;
			const notes = notesOf();
			(notes[mailbox.toLowerCase()] ??= {})[itemId] = normalizeKey(changeKey);
			// Reassign so n8n sees the change and saves the static data.
			global[ECHOES_KEY] = notes;
		},
		takeEchoes(mailbox, keep = false) {
			const notes = notesOf();
			const forMailbox = notes[mailbox.toLowerCase()];
			if (!forMailbox) return new Map();
			if (!keep) {
				delete notes[mailbox.toLowerCase()];
				global[ECHOES_KEY] = notes;
			}
			return new Map(Object.entries(forMailbox));
		},
		settled: (mailbox, company) => ((global[SETTLED_KEY] ?? {}) as Record<string, SettledMark>)[calendarKey(company, mailbox)],
		setSettled(mailbox, company, mark) {
			const marks = { ...((global[SETTLED_KEY] ?? {}) as Record<string, SettledMark>) };
			const key = calendarKey(company, mailbox);
			if (!mark && !(key in marks)) return;
			if (mark) marks[key] = mark;
			else delete marks[key];
			global[SETTLED_KEY] = marks;
		},
	};
}

/**
 * The store of an execution that holds the leases of some mailboxes and loaded their rows. A write
 * to a mailbox it holds no lease for leaves no note (nobody could save it): that echo is then
 * recognised the longer way, by the content hash on the link.
 */
export class LeasedStateStore implements SyncStateStore {
	private readonly states = new Map<string, MailboxState>();

	/** `state` is the row's text; a row that cannot be read starts afresh (a full read), with the reason returned. */
	load(mailbox: string, state: unknown): string | undefined {
		const { value, problem } = parseMailboxState(state);
		this.states.set(mailbox.toLowerCase(), value);
		return problem;
	}

	holds(mailbox: string): boolean {
		return this.states.has(mailbox.toLowerCase());
	}

	mailboxes(): string[] {
		return [...this.states.keys()];
	}

	/** The text to store in the mailbox's row. */
	stateText(mailbox: string): string {
		const state = this.states.get(mailbox.toLowerCase());
		if (!state) throw new Error(`no state loaded for ${mailbox}`);
		return JSON.stringify(state);
	}

	cursor(mailbox: string, company: string): DeltaCursor | undefined {
		return this.states.get(mailbox.toLowerCase())?.cursors[company];
	}

	setCursor(mailbox: string, company: string, cursor: DeltaCursor): void {
		const state = this.states.get(mailbox.toLowerCase());
		if (state) state.cursors[company] = cursor;
	}

	noteEcho(mailbox: string, itemId: string | null | undefined, changeKey: string | null | undefined): void {
		const state = this.states.get(mailbox.toLowerCase());
		if (state && itemId && changeKey) state.echoes[itemId] = normalizeKey(changeKey);
	}

	takeEchoes(mailbox: string, keep = false): Map<string, string> {
		const state = this.states.get(mailbox.toLowerCase());
		if (!state) return new Map();
		const notes = new Map(Object.entries(state.echoes));
		if (!keep) state.echoes = {};
		return notes;
	}

	settled(mailbox: string, company: string): SettledMark | undefined {
		return this.states.get(mailbox.toLowerCase())?.settled?.[company];
	}

	setSettled(mailbox: string, company: string, mark: SettledMark | undefined): void {
		const state = this.states.get(mailbox.toLowerCase());
		if (!state) return;
		const marks = { ...(state.settled ?? {}) };
		if (mark) marks[company] = mark;
		else delete marks[company];
		state.settled = Object.keys(marks).length ? marks : undefined;
	}
}

/** Reads a row's `state` column: empty is a new mailbox; anything unreadable is reported and replaced. */
export function parseMailboxState(text: unknown): { value: MailboxState; problem?: string } {
	const fresh = (): MailboxState => ({ cursors: {}, echoes: {} });
	if (text === null || text === undefined || text === '') return { value: fresh() };
	try {
		const parsed = JSON.parse(String(text)) as Partial<MailboxState>;
		const isRecord = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
		if (!isRecord(parsed) || !isRecord(parsed.cursors ?? {}) || !isRecord(parsed.echoes ?? {})) throw new Error('not an object with "cursors" and "echoes"');
		// A mark that is not one is dropped: the calendar is then planned in full, which is always right.
		const settled = isRecord(parsed.settled) ? Object.fromEntries(Object.entries(parsed.settled!).filter(([, mark]) => isSettledMark(mark))) : {};
		return { value: { cursors: { ...(parsed.cursors ?? {}) }, echoes: { ...(parsed.echoes ?? {}) }, ...(Object.keys(settled).length ? { settled } : {}) } };
	} catch (error) {
		return { value: fresh(), problem: `column "state" could not be read (${(error as Error).message}); the calendar is read in full once` };
	}
}

function isSettledMark(value: unknown): value is SettledMark {
	const mark = value as SettledMark;
	const lines = (list: unknown) => Array.isArray(list) && list.every((line) => typeof line?.ref === 'string' && typeof line?.message === 'string');
	return typeof mark === 'object' && mark !== null && typeof mark.digest === 'string' && Number.isInteger(mark.unchanged) && lines(mark.skipped) && lines(mark.warnings);
}

/** The n8n Data Table of mailbox rows: the lease and the state of each sync user's mailbox. */
export const MAILBOX_TABLE = 'LN Exchange Sync mailboxes';
export const MAILBOX_COLUMNS: ReadonlyArray<{ name: string; type: 'string' | 'number' }> = [
	{ name: 'mailbox', type: 'string' },
	/** Epoch milliseconds; 0 when free. A lease ends by itself, so a crashed worker holds nothing for long. */
	{ name: 'leaseUntil', type: 'number' },
	/** The n8n execution holding the lease. */
	{ name: 'leaseHolder', type: 'string' },
	{ name: 'state', type: 'string' },
];
