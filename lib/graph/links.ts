import {
	decodeOccurrences,
	encodeOccurrences,
	encodeState,
	expandOurProperties,
	LN_KEY_PROPERTY,
	LN_OCCURRENCES_PROPERTY,
	LN_STATE_PROPERTY,
	propertyValue,
	seriesKey,
	signLink,
	type ExtendedProperty,
	type LinkState,
} from '../sync/link';
import { userPath } from './calendar';
import { describeBatchFailure, type BatchRequest, type GraphTransport } from './transport';

export interface LinkRequest {
	eventId: string;
	/** For an occurrence: the link goes on its series master, never on the occurrence itself. */
	seriesMasterId?: string;
	iCalUId?: string;
	company: string;
	activity: string;
	state: LinkState;
	/** Forget an occurrence's link (its LN appointment was cancelled because the occurrence is gone). */
	remove?: boolean;
}

export interface LinkOutcome {
	request: LinkRequest;
	ok: boolean;
	error?: string;
}

/**
 * Stores the LN key and content hash on events: single events get the two properties; occurrences
 * are recorded in their series master's occurrence list (changing an occurrence would turn it into
 * an exception), one update per master.
 */
export async function linkEvents(
	graph: GraphTransport,
	mailbox: string,
	links: LinkRequest[],
	key: Buffer,
	onWritten?: (eventId: string, changeKey: string) => void,
): Promise<LinkOutcome[]> {
	// Signed over the item's iCalUId (an occurrence's own), so the link holds only on that item in this mailbox.
	const signed = (link: LinkRequest) => signLink(key, { company: link.company, activity: link.activity, mailbox, iCalUId: link.iCalUId }, 'iCalUId');
	const outcomes: LinkOutcome[] = [];
	const singles = links.filter((l) => !l.seriesMasterId && !l.remove);
	for (const link of links.filter((l) => !l.seriesMasterId && l.remove)) {
		// A single event keeps its link: Sync From LN Activity reconciles it with the LN activity.
		outcomes.push({ request: link, ok: true });
	}
	const requests: BatchRequest[] = singles.map((link, index) => ({
		id: String(index),
		method: 'PATCH',
		url: `${userPath(mailbox)}/events/${encodeURIComponent(link.eventId)}`,
		body: {
			singleValueExtendedProperties: [
				{ id: LN_KEY_PROPERTY, value: `ln:${link.company}:activity:${link.activity}` },
				{ id: LN_STATE_PROPERTY, value: encodeState({ ...link.state, signature: signed(link) }) },
			],
		},
		idempotent: true,
	}));
	const responses = requests.length ? await graph.batch(requests) : new Map();
	singles.forEach((link, index) => {
		const response = responses.get(String(index));
		const ok = Boolean(response && response.status >= 200 && response.status < 300);
		if (ok) onWritten?.(link.eventId, String((response?.body as { changeKey?: string })?.changeKey ?? ''));
		outcomes.push({ request: link, ok, error: ok ? undefined : describeBatchFailure(response) });
	});
	const byMaster = new Map<string, LinkRequest[]>();
	for (const link of links.filter((l) => l.seriesMasterId)) byMaster.set(link.seriesMasterId!, [...(byMaster.get(link.seriesMasterId!) ?? []), link]);
	for (const [masterId, group] of byMaster) {
		const path = `${userPath(mailbox)}/events/${encodeURIComponent(masterId)}`;
		try {
			const master = await graph.get<{ singleValueExtendedProperties?: ExtendedProperty[] }>(
				`${path}?${new URLSearchParams({ $select: 'id', $expand: expandOurProperties(LN_KEY_PROPERTY, LN_OCCURRENCES_PROPERTY) }).toString()}`,
			);
			const entries = decodeOccurrences(propertyValue(master.singleValueExtendedProperties, LN_OCCURRENCES_PROPERTY));
			for (const link of group) {
				const entry = { iCalUId: link.iCalUId ?? '', eventId: link.eventId, activity: link.activity, hash: link.state.hash, signature: link.remove ? undefined : signed(link) };
				const index = entries.findIndex((e) => (link.iCalUId && e.iCalUId === link.iCalUId) || e.eventId === link.eventId);
				if (link.remove) {
					if (index >= 0) entries.splice(index, 1);
				} else if (index >= 0) entries[index] = entry;
				else entries.push(entry);
			}
			const properties = {
				singleValueExtendedProperties: [
					{ id: LN_KEY_PROPERTY, value: seriesKey(group[0].company) },
					{ id: LN_OCCURRENCES_PROPERTY, value: encodeOccurrences(entries) },
				],
			};
			if (!onWritten) {
				await graph.patch(path, properties);
			} else {
				// Writing the master changes every occurrence's etag: they are read in the same $batch, once
				// the write is done, and noted, so that the next delta round knows it was us.
				const now = new Date();
				const query = new URLSearchParams({ startDateTime: now.toISOString(), endDateTime: new Date(now.getTime() + 1825 * 86_400_000).toISOString(), $select: 'id', $top: '500' });
				const answers = await graph.batch([
					{ id: 'write', method: 'PATCH', url: path, body: properties, idempotent: true },
					{ id: 'occurrences', method: 'GET', url: `${path}/instances?${query.toString()}`, dependsOn: ['write'] },
				]);
				const written = answers.get('write');
				if (!written || written.status < 200 || written.status >= 300) throw new Error(`the series could not be written: ${describeBatchFailure(written)}`);
				const read = answers.get('occurrences');
				if (!read || read.status < 200 || read.status >= 300) throw new Error(`the series was written, but its occurrences could not be read: ${describeBatchFailure(read)}`);
				const page = read.body as { value?: Array<{ id: string; '@odata.etag'?: string }>; '@odata.nextLink'?: string };
				const more = page['@odata.nextLink'] ? await graph.getAll<{ id: string; '@odata.etag'?: string }>(page['@odata.nextLink']) : [];
				for (const occurrence of [...(page.value ?? []), ...more]) onWritten(occurrence.id, String(occurrence['@odata.etag'] ?? ''));
			}
			for (const link of group) outcomes.push({ request: link, ok: true });
		} catch (error) {
			for (const link of group) outcomes.push({ request: link, ok: false, error: (error as Error).message });
		}
	}
	return outcomes;
}
