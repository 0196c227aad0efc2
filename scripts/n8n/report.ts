/** The pull sync's run report (the items of its "Run report" node) as a text table. */

export interface ReportItem {
	kind?: string;
	mailbox?: string;
	status?: string;
	users?: number;
	durationMs?: number;
	counts?: Record<string, number>;
	skipped?: unknown[];
	errors?: Array<{ ref?: string; message?: string; class?: string }>;
	requests?: { ln?: number; graph?: number };
}

const COLUMNS = ['user', 'contacts +/~/-', 'events +/~/x', 'LN appts', 'flags', 'conflicts', 'skipped', 'errors', 'requests LN/Graph', 'duration'] as const;

function row(item: ReportItem): string[] {
	const c = item.counts ?? {};
	const n = (key: string) => String(c[key] ?? 0);
	const name = item.kind === 'total' ? `total (${item.users ?? '?'} users)` : (item.mailbox ?? '?');
	return [
		name,
		`${n('contactsCreated')}/${n('contactsUpdated')}/${n('contactsRemoved')}`,
		`${n('eventsCreated')}/${n('eventsUpdated')}/${n('eventsCancelled')}`,
		n('lnAppointmentsCreated'),
		n('flagsSet'),
		n('conflicts'),
		String(item.skipped?.length ?? 0),
		String(item.errors?.length ?? 0),
		`${item.requests?.ln ?? 0}/${item.requests?.graph ?? 0}`,
		item.durationMs === undefined ? '' : `${(item.durationMs / 1000).toFixed(1)} s`,
	];
}

/** One row per user and the total; +/~/- = created/updated/removed, x = cancelled. */
export function formatReport(items: ReportItem[]): string {
	const rows = [[...COLUMNS], ...items.map(row)];
	const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
	const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
	const out = [line(rows[0]), widths.map((w) => '─'.repeat(w)).join('  ')];
	rows.slice(1).forEach((r, index) => {
		if (items[index].kind === 'total') out.push(widths.map((w) => '─'.repeat(w)).join('  '));
		out.push(line(r));
	});
	const errors = items.filter((i) => i.kind !== 'total').flatMap((i) => (i.errors ?? []).map((e) => clip(`  ${i.mailbox}: ${e.class ? `[${e.class}] ` : ''}${e.ref ? `${e.ref}: ` : ''}${e.message}`)));
	if (errors.length) out.push('errors:', ...errors.slice(0, 10), ...(errors.length > 10 ? [`  … ${errors.length - 10} more`] : []));
	return out.join('\n');
}

function clip(line: string, max = 200): string {
	// Request URLs without their query strings: the reason comes after them.
	line = line.replace(/\b(GET|POST|PATCH|PUT|DELETE) (\S+?)\?\S*/g, '$1 $2');
	return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
