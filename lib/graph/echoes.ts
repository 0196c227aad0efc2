/**
 * Our own writes come back in the next delta round. To recognise them without reading anything, the
 * writers note the changeKey (or etag) each write left, per mailbox, in the workflow's static data;
 * Get Changes takes the notes: an item that still carries that key is an echo and costs nothing.
 * The notes live only from one run to the next (a few per write), so static data stays small.
 */
export type EchoNotes = Record<string, Record<string, string>>;

export interface StaticData {
	[key: string]: unknown;
}

const KEY = 'lnExchangeEchoes';

export function noteEcho(staticData: StaticData, mailbox: string, itemId: string | null | undefined, changeKey: string | null | undefined): void {
	if (!itemId || !changeKey) return;
	const notes = ((staticData[KEY] as EchoNotes | undefined) ??= {});
	const forMailbox = (notes[mailbox.toLowerCase()] ??= {});
	forMailbox[itemId] = normalizeKey(changeKey);
	// Reassign so n8n sees the change and saves the static data.
	staticData[KEY] = notes;
}

/** Takes (and forgets) the notes of a mailbox; `keep` reads them and leaves them for the next run (a dry run). */
export function takeEchoes(staticData: StaticData, mailbox: string, keep = false): Map<string, string> {
	const notes = staticData[KEY] as EchoNotes | undefined;
	const forMailbox = notes?.[mailbox.toLowerCase()];
	if (!notes || !forMailbox) return new Map();
	if (!keep) {
		delete notes[mailbox.toLowerCase()];
		staticData[KEY] = notes;
	}
	return new Map(Object.entries(forMailbox));
}

/** An @odata.etag is W/"<changeKey>"; compare on the changeKey. */
export function normalizeKey(value: string): string {
	return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}
