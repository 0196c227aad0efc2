import { opaqueToken } from './ids';
import type { Json } from './odata';

/**
 * Delta rounds (calendarView/delta and contacts/delta). The service keeps the sync state: a
 * deltaLink's token names the set of items (and their etags) the client has seen, so a later call
 * can report what was added or changed, deleted (`@removed: deleted`) or moved out of the window
 * or folder (`@removed: changed`). The round's first response lists everything, page by page.
 */

export interface RoundScope {
	kind: 'events' | 'contacts';
	mailbox: string;
	/** The mailbox's delta generation when the round started (expireDeltaTokens bumps it). */
	generation: number;
	/** Path and query of the initial request, for the Location of a 410. */
	restart: string;
	windowStart?: number;
	windowEnd?: number;
	folderKey?: string;
	select?: string[];
}

interface DeltaItem {
	ref: string;
	removed?: 'deleted' | 'changed';
}

interface PageState {
	scope: RoundScope;
	items: DeltaItem[];
	offset: number;
	pageSize: number;
	/** The sync state to hand out with the round's deltaLink. */
	next: Map<string, string>;
}

interface SyncState {
	scope: RoundScope;
	known: Map<string, string>;
}

export interface DeltaSource {
	/** Items in scope now: ref → etag. */
	snapshot(): Map<string, string>;
	/** Whether the item still exists anywhere in the mailbox (→ reason `changed` instead of `deleted`). */
	exists(ref: string): boolean;
	/** The current representation; undefined when it is gone. */
	render(ref: string): Json | undefined;
	idOf(ref: string): string;
}

export interface DeltaPage {
	value: Json[];
	skipToken?: string;
	deltaToken?: string;
}

export type TokenLookup<T> = { ok: true; scope: RoundScope; state: T } | { ok: false; scope?: RoundScope };

export class DeltaManager {
	private readonly pages = new Map<string, PageState>();
	private readonly states = new Map<string, SyncState>();

	clear(): void {
		this.pages.clear();
		this.states.clear();
	}

	/** A new round: everything in scope. */
	initial(scope: RoundScope, source: DeltaSource, pageSize: number): DeltaPage {
		const current = source.snapshot();
		const items = [...current.keys()].map((ref) => ({ ref }));
		return this.paginate({ scope, items, offset: 0, pageSize, next: current }, source);
	}

	/** A deltaLink: what changed since the state it names. */
	changes(state: SyncState, source: DeltaSource, pageSize: number): DeltaPage {
		const current = source.snapshot();
		const items: DeltaItem[] = [];
		for (const [ref, etag] of current) {
			if (state.known.get(ref) !== etag) items.push({ ref });
		}
		for (const ref of state.known.keys()) {
			if (!current.has(ref)) items.push({ ref, removed: source.exists(ref) ? 'changed' : 'deleted' });
		}
		return this.paginate({ scope: state.scope, items, offset: 0, pageSize, next: current }, source);
	}

	/** A nextLink: the following page of the same response. */
	nextPage(page: PageState, source: DeltaSource): DeltaPage {
		return this.paginate(page, source);
	}

	lookupDelta(token: string): TokenLookup<SyncState> {
		const state = this.states.get(token);
		return state ? { ok: true, scope: state.scope, state } : { ok: false };
	}

	lookupPage(token: string): TokenLookup<PageState> {
		const page = this.pages.get(token);
		return page ? { ok: true, scope: page.scope, state: page } : { ok: false };
	}

	private paginate(page: PageState, source: DeltaSource): DeltaPage {
		const slice = page.items.slice(page.offset, page.offset + page.pageSize);
		const value: Json[] = [];
		for (const item of slice) {
			const rendered = item.removed ? undefined : source.render(item.ref);
			if (rendered) {
				value.push(rendered);
			} else {
				const reason = item.removed ?? (source.exists(item.ref) ? 'changed' : 'deleted');
				value.push({ '@odata.type': page.scope.kind === 'events' ? '#microsoft.graph.event' : '#microsoft.graph.contact', id: source.idOf(item.ref), '@removed': { reason } });
			}
		}
		const offset = page.offset + slice.length;
		if (offset < page.items.length) {
			const skipToken = opaqueToken();
			this.pages.set(skipToken, { ...page, offset });
			return { value, skipToken };
		}
		const deltaToken = opaqueToken();
		this.states.set(deltaToken, { scope: page.scope, known: page.next });
		return { value, deltaToken };
	}
}
