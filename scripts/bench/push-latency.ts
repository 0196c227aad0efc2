/**
 * Push latency in a REAL n8n (the `npm start` / e2e infrastructure of scripts/n8n): the time from a
 * change in the Graph emulator to the LN write the push workflow makes for it.
 *
 *  1. pack the package (built by the caller), start both emulators with a generated tenant, a fresh
 *     n8n 2.x user folder with the package, the credentials and both shipped workflows;
 *  2. activate both, start n8n, run the pull once (`n8n execute`) so the events are linked, and
 *     subscribe the sync users' calendars (the push workflow's maintenance path);
 *  3. N times, one after the other: change the subject of a linked single event of a sync user in the
 *     Graph emulator (as Outlook would), and wait for the PATCH of its LN activity; the latency is
 *     from the change to the end of that PATCH in the LN emulator's request log.
 */
import { performance } from 'node:perf_hooks';

import type { Event } from '@microsoft/microsoft-graph-types';

import type { RunningEmulators } from '../../test/emulators/cli';
import { ensureN8n, N8N_2 } from '../n8n/install';
import { freePort, N8nInstance, sleep } from '../n8n/instance';
import { buildAndPack } from '../n8n/package';
import { provision, PULL_ID, PUSH_ID } from '../n8n/provision';
import { runPull, subscribeSyncUsers } from '../n8n/sync';
import { startTenant, type TenantOptions } from './tenant';

export interface PushLatencyOptions extends TenantOptions {
	changes: number;
	/** Milliseconds to wait for one change to reach LN before it counts as lost. */
	timeoutMs?: number;
	log?: (line: string) => void;
}

export interface PushLatencyResult {
	n8n: string;
	changes: number;
	measured: number;
	lost: number;
	latencyMs: number;
	ms: { p50: number; p95: number; min: number; max: number; mean: number };
	/** Notification deliveries the Graph emulator made during the measurement (echoes of our writes included). */
	notificationsDelivered: number;
}

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };

function percentile(sorted: number[], p: number): number {
	if (!sorted.length) return NaN;
	const rank = Math.ceil((p / 100) * sorted.length) - 1;
	return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Linked single events (organizer's copy, in the future) with the LN activity they are linked to. */
function targets(emulators: RunningEmulators): Array<{ mailbox: string; eventId: string; activity: string; subject: string }> {
	const company = emulators.env.LN_COMPANY;
	const byReference = new Map(emulators.ln.list(company, 'activities').filter((a) => a.reference).map((a) => [String(a.reference), String(a.id)]));
	const mailboxes = emulators.ln
		.list(company, 'syncUsers')
		.filter((u) => u.active === 'Yes')
		.map((u) => String(u.email).toLowerCase());
	const list: Array<{ mailbox: string; eventId: string; activity: string; subject: string }> = [];
	const soon = Date.now() + 86_400_000;
	for (const mailbox of mailboxes) {
		let events: WithProps[];
		try {
			events = emulators.graph.events(mailbox) as WithProps[];
		} catch {
			continue; // a sync user without a mailbox
		}
		for (const event of events) {
			if (event.type !== 'singleInstance' || !event.isOrganizer || event.isCancelled || event.sensitivity === 'private') continue;
			if (!(Date.parse(`${event.end?.dateTime?.slice(0, 19)}Z`) > soon)) continue;
			const activity = event.iCalUId ? byReference.get(event.iCalUId) : undefined;
			if (activity && event.singleValueExtendedProperties?.some((p) => p.id?.endsWith('Name LnKey'))) {
				list.push({ mailbox, eventId: event.id!, activity, subject: event.subject ?? '' });
			}
		}
	}
	return list;
}

export async function measurePushLatency(options: PushLatencyOptions): Promise<PushLatencyResult> {
	const log = options.log ?? (() => {});
	const timeoutMs = options.timeoutMs ?? 30_000;
	log('packing the package (dist/ as built)');
	const tarball = await buildAndPack({ build: false });
	const emulators = await startTenant(options);
	let instance: N8nInstance | undefined;
	try {
		const install = await ensureN8n(N8N_2, log);
		instance = new N8nInstance({ install, name: 'bench-push', port: await freePort(), brokerPorts: [await freePort(), await freePort()], fresh: true });
		log(`n8n ${instance.version}: provisioning ${instance.userFolder}`);
		await provision(instance, { tarball, env: emulators.env, log });
		await instance.activateWorkflow(PULL_ID);
		await instance.activateWorkflow(PUSH_ID);
		await instance.start();
		log('pull sync once (n8n execute), so that the events are linked');
		await runPull(instance);
		const subscribed = await subscribeSyncUsers(instance);
		log(`subscriptions: ${subscribed.length} mailboxes`);
		// Let the notifications of the pull's own writes (if any) pass before measuring.
		await emulators.graph.flushNotifications();
		await sleep(3000);

		const candidates = targets(emulators);
		if (!candidates.length) throw new Error('No linked single event to change');
		log(`${options.changes} changes over ${candidates.length} linked events`);
		const deliveriesBefore = emulators.graph.notificationDeliveries().length;
		const samples: number[] = [];
		let lost = 0;
		for (let i = 0; i < options.changes; i++) {
			const target = candidates[i % candidates.length];
			const subject = `${target.subject.replace(/ \[push \d+\]$/, '')} [push ${i + 1}]`;
			emulators.ln.log.clear();
			const changedAt = Date.now();
			const started = performance.now();
			emulators.graph.updateEvent(target.mailbox, target.eventId, { subject });
			let doneAt: number | undefined;
			while (performance.now() - started < timeoutMs) {
				if (emulators.ln.get(emulators.env.LN_COMPANY, 'activities', { id: target.activity })?.subject === subject) {
					const patch = emulators.ln.log
						.all()
						.find((e) => e.method === 'PATCH' && e.path.includes(target.activity) && e.startedAt >= changedAt);
					doneAt = patch ? patch.startedAt + patch.durationMs : Date.now();
					break;
				}
				await sleep(5);
			}
			if (doneAt === undefined) lost++;
			else samples.push(doneAt - changedAt);
			if ((i + 1) % 25 === 0) log(`${i + 1}/${options.changes} changes, last ${samples[samples.length - 1] ?? '–'} ms`);
			// The write-back of this change (its echo) passes before the next one.
			await sleep(250);
		}
		const sorted = [...samples].sort((a, b) => a - b);
		return {
			n8n: instance.version,
			changes: options.changes,
			measured: samples.length,
			lost,
			latencyMs: options.latencyMs,
			ms: {
				p50: percentile(sorted, 50),
				p95: percentile(sorted, 95),
				min: sorted[0] ?? NaN,
				max: sorted[sorted.length - 1] ?? NaN,
				mean: sorted.length ? Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : NaN,
			},
			notificationsDelivered: emulators.graph.notificationDeliveries().length - deliveriesBefore,
		};
	} finally {
		await instance?.stop().catch(() => {});
		await emulators.stop();
	}
}
