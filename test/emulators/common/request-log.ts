export interface LoggedRequest {
	seq: number;
	method: string;
	/** Path without the query string. */
	path: string;
	query: string;
	/** Graph: the addressed mailbox; LN: the company. */
	mailbox?: string;
	company?: string;
	status: number;
	/** The fault applied, if any. */
	fault?: string;
	startedAt: number;
	durationMs: number;
	/** The address the request's connection came from (a proxy's, when one carried it). */
	from?: string;
	/** Graph `$batch`: the inner requests, each logged as well with `batchSeq`. */
	batchSeq?: number;
}

export interface RequestCounts {
	total: number;
	byMethod: Record<string, number>;
	/** `METHOD kind`, where kind is a stable label such as `GET events` or `POST $batch`. */
	byKind: Record<string, number>;
	byMailbox: Record<string, number>;
}

/** Every request an emulator answered (or dropped), in order, with counters. */
export class RequestLog {
	private entries: LoggedRequest[] = [];
	private seq = 0;

	constructor(private readonly kindOf: (entry: LoggedRequest) => string) {}

	nextSeq(): number {
		return ++this.seq;
	}

	add(entry: LoggedRequest): void {
		this.entries.push(entry);
	}

	all(): LoggedRequest[] {
		return [...this.entries];
	}

	clear(): void {
		this.entries = [];
	}

	/** Outer requests only (inner `$batch` requests are counted under their batch). */
	counts(): RequestCounts {
		const counts: RequestCounts = { total: 0, byMethod: {}, byKind: {}, byMailbox: {} };
		for (const entry of this.entries) {
			if (entry.batchSeq !== undefined) continue;
			counts.total++;
			counts.byMethod[entry.method] = (counts.byMethod[entry.method] ?? 0) + 1;
			const kind = this.kindOf(entry);
			counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
			const mailbox = entry.mailbox ?? entry.company;
			if (mailbox) counts.byMailbox[mailbox] = (counts.byMailbox[mailbox] ?? 0) + 1;
		}
		return counts;
	}
}
