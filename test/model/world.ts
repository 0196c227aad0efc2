import type { Event } from '@microsoft/microsoft-graph-types';

import type { MeetingMessage } from '../emulators/graph/emulator';
import { LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET, startEnvironment, type Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { RunResult } from '../harness/workflow-runner';
import { scenario } from '../workflows/scenario';
import { shipped, writes } from '../workflows/workflow-helpers';

/**
 * The world a model sequence runs in: both emulators seeded with the scenario tenant, the shipped
 * pull and push workflows run by n8n-core with the built package, and what each run did.
 */
export const SYNC_MAILBOXES = ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'] as const;
export const MAILBOXES = [...SYNC_MAILBOXES, 'zoe@contoso.com'] as const;
export const SYNC_USERS = ['ann', 'bob', 'cat'] as const;

export interface Person {
	email: string;
	type: 'Employee' | 'Contact' | 'Other';
	code?: string;
	name: string;
}

export const PEOPLE: Person[] = [
	{ email: 'ann@contoso.com', type: 'Employee', code: 'E001', name: 'Ann Archer' },
	{ email: 'bob@contoso.com', type: 'Employee', code: 'E002', name: 'Bob Baker' },
	{ email: 'cat@contoso.com', type: 'Employee', code: 'E003', name: 'Cat Cole' },
	{ email: 'zoe@contoso.com', type: 'Employee', code: 'E099', name: 'Zoe Zimmer' },
	{ email: 'xena@fabrikam.com', type: 'Contact', code: 'C001', name: 'Xena Fabrikam' },
	{ email: 'walter@elsewhere.org', type: 'Other', name: 'Walter' },
];

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };

export interface LineSnap {
	sequence: number;
	role: string;
	type: string;
	code?: string;
	email: string;
	invite: boolean;
	sent: boolean;
	synced: boolean;
	status: string;
}

export interface ActivitySnap {
	id: string;
	type: string;
	subject: string;
	start: string;
	end: string;
	status: string;
	synchronize: boolean;
	reference: string;
	lines: LineSnap[];
}

export interface EventSnap {
	mailbox: string;
	id: string;
	iCalUId: string;
	subject: string;
	start: number;
	end: number;
	type: string;
	isOrganizer: boolean;
	isCancelled: boolean;
	organizer: string;
	attendees: Array<{ email: string; response: string }>;
	sensitivity: string;
	transactionId?: string;
	lnKey?: string;
	lnState?: string;
	lnOccurrences?: string;
}

export interface Snapshot {
	at: number;
	activities: ActivitySnap[];
	events: EventSnap[];
	contacts: Record<string, Array<{ name: string; lnKey?: string }>>;
	syncUsersActive: Record<string, boolean>;
}

export interface RunRecord {
	kind: 'pull' | 'push';
	before: Snapshot;
	after: Snapshot;
	/** Mail Exchange sent while the run went (the product's doing: no user edits happen during a run). */
	messages: MeetingMessage[];
	writes: { graph: string[]; ln: string[] };
	errors: string[];
	/** Every execution of the run ended without a workflow error and no injected fault hit it. */
	clean: boolean;
	/** Activities whose cancellation the mass-change brake held back in this run. */
	braked: Set<string>;
	fault?: string;
}

const prop = (event: WithProps, name: string) => event.singleValueExtendedProperties?.find((p) => p.id?.endsWith(`Name ${name}`))?.value ?? undefined;
const yes = (value: unknown) => String(value) === 'Yes';
const instant = (value: { dateTime?: string | null } | null | undefined) => Date.parse(`${String(value?.dateTime ?? '').slice(0, 19)}Z`);

export class World {
	readonly pull = shipped('pull-sync.json');
	readonly push = shipped('push-sync.json');
	host?: WebhookHost;

	private constructor(readonly env: Environment) {}

	static async create(): Promise<World> {
		const workflows = [shipped('pull-sync.json'), shipped('push-sync.json')];
		// Notifications wait for a push step (a long flush delay; flushNotifications sends them).
		const env = await startEnvironment({ nodes: 'dist', workflows: Object.fromEntries(workflows.map((w) => [w.id, w])), graph: { notificationFlushMs: 2 ** 31 - 1 } });
		return new World(env);
	}

	/** A fresh tenant (the scenario of the workflow tests), n8n's static data forgotten, push off or on. */
	async reset(push: boolean): Promise<void> {
		if (this.host) {
			await this.host.deactivate().catch(() => undefined);
			await this.host.stop();
			this.host = undefined;
		}
		const data = scenario();
		this.env.ln.seed(data.lnSeed);
		this.env.graph.seed(data.graphSeed);
		this.env.ln.faults.clear();
		this.env.graph.faults.clear();
		this.env.runner.staticData.clear();
		this.env.graph.log.clear();
		this.env.ln.log.clear();
		if (push) {
			this.host = new WebhookHost(this.env.runner, this.push);
			await this.host.start();
			await this.host.activate();
			const keep = await this.env.runner.run(this.push, { startNode: 'Run now' });
			if (keep.error) throw keep.error;
		}
	}

	async stop(): Promise<void> {
		if (this.host) await this.host.stop();
		await this.env.stop();
	}

	snapshot(): Snapshot {
		const { ln, graph } = this.env;
		const lines = ln.list('100', 'attendees');
		const activities = ln.list('100', 'activities').map((a) => ({
			id: String(a.id),
			type: String(a.type),
			subject: String(a.subject ?? ''),
			start: String(a.start ?? ''),
			end: String(a.end ?? ''),
			status: String(a.status ?? ''),
			synchronize: yes(a.synchronize),
			reference: String(a.reference ?? ''),
			lines: lines
				.filter((l) => l.activity === a.id)
				.map((l) => ({
					sequence: Number(l.sequence),
					role: String(l.role),
					type: String(l.type),
					code: l.code ? String(l.code) : undefined,
					email: String(l.email ?? '').toLowerCase(),
					invite: yes(l.invite),
					sent: yes(l.sentToSynchronizer),
					synced: yes(l.synchronized),
					status: String(l.status ?? 'None'),
				})),
		}));
		const events: EventSnap[] = [];
		const now = Date.now();
		for (const mailbox of MAILBOXES) {
			const stored = graph.events(mailbox) as WithProps[];
			// Occurrences are not stored items: listed from their series, as calendarView shows them.
			const occurrences = stored.filter((e) => e.type === 'seriesMaster').flatMap((master) => graph.occurrences(mailbox, master.id!, now - 86_400_000, now + 400 * 86_400_000).filter((o) => o.type === 'occurrence'));
			for (const event of [...stored, ...occurrences] as WithProps[]) {
				events.push({
					mailbox,
					id: event.id!,
					iCalUId: event.iCalUId ?? '',
					subject: event.subject ?? '',
					start: instant(event.start),
					end: instant(event.end),
					type: event.type ?? 'singleInstance',
					isOrganizer: Boolean(event.isOrganizer),
					isCancelled: Boolean(event.isCancelled),
					organizer: String(event.organizer?.emailAddress?.address ?? '').toLowerCase(),
					attendees: (event.attendees ?? []).map((x) => ({ email: String(x.emailAddress?.address ?? '').toLowerCase(), response: String(x.status?.response ?? 'none') })),
					sensitivity: event.sensitivity ?? 'normal',
					transactionId: event.transactionId ?? undefined,
					lnKey: prop(event, 'LnKey'),
					lnState: prop(event, 'LnState'),
					lnOccurrences: prop(event, 'LnOccurrences'),
				});
			}
		}
		const contacts: Snapshot['contacts'] = {};
		for (const mailbox of SYNC_MAILBOXES) {
			contacts[mailbox] = graph.contacts(mailbox).map((c) => ({ name: c.displayName ?? '', lnKey: prop(c as WithProps, 'LnKey') }));
		}
		const syncUsersActive = Object.fromEntries(ln.list('100', 'syncUsers').map((u) => [String(u.email).toLowerCase(), yes(u.active)]));
		return { at: Date.now(), activities, events, contacts, syncUsersActive };
	}

	/** A pull run (Run now), with a fault rule in force while it runs. */
	async runPull(fault?: { system: 'graph' | 'ln'; rule: Parameters<Environment['graph']['faults']['add']>[0]; label: string }): Promise<RunRecord> {
		return this.recorded('pull', fault, async () => {
			const result = await this.env.runner.run(this.pull, { startNode: 'Run now' });
			return [result];
		});
	}

	/** A push round: held Graph notifications delivered, then LN's messages for the activities it changed. */
	async runPush(lnMessages: Array<{ activity: string; changeType: 'created' | 'updated' | 'deleted' }>): Promise<RunRecord> {
		const host = this.host;
		if (!host) throw new Error('push is not on in this sequence');
		return this.recorded('push', undefined, async () => {
			const before = host.calls.length;
			await this.env.graph.flushNotifications();
			await host.settle();
			for (const message of lnMessages) {
				await fetch(`${host.url}webhook/ln-exchange-sync/ln`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET },
					body: JSON.stringify({ company: '100', activityId: message.activity, changeType: message.changeType }),
				});
				await host.settle();
			}
			return host.calls.slice(before).flatMap((call) => (call.run ? [call.run] : []));
		});
	}

	private async recorded(
		kind: RunRecord['kind'],
		fault: { system: 'graph' | 'ln'; rule: Parameters<Environment['graph']['faults']['add']>[0]; label: string } | undefined,
		run: () => Promise<RunResult[]>,
	): Promise<RunRecord> {
		const before = this.snapshot();
		const mark = this.env.graph.messages().length;
		this.env.graph.log.clear();
		this.env.ln.log.clear();
		if (fault) (fault.system === 'graph' ? this.env.graph : this.env.ln).faults.add(fault.rule);
		let results: RunResult[];
		try {
			results = await run();
		} finally {
			this.env.graph.faults.clear();
			this.env.ln.faults.clear();
		}
		const errors = results.flatMap((result) => [
			...(result.error ? [result.error.message] : []),
			...reportErrors(result),
		]);
		const braked = new Set(
			results.flatMap((result) =>
				result
					.output('Run report')
					.flatMap((i) => ((i.json as { skipped?: Array<{ ref: string; message: string }> }).skipped ?? []))
					.filter((s) => s.message.startsWith('mass-change brake'))
					.map((s) => s.ref.replace(/^activity /, '')),
			),
		);
		return {
			kind,
			braked,
			before,
			after: this.snapshot(),
			messages: this.env.graph.messages(mark),
			writes: writes(this.env),
			errors,
			clean: !fault && results.every((r) => !r.error) && errors.filter((e) => !/refused/.test(e)).length === 0,
			fault: fault?.label,
		};
	}
}

function reportErrors(result: RunResult): string[] {
	const report = result.output('Run report').map((i) => i.json as { kind?: string; errors?: Array<{ message: string }> });
	return report.filter((r) => r.kind === 'total').flatMap((r) => (r.errors ?? []).map((e) => e.message));
}
