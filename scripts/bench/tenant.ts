/** The generated tenant the benchmark runs on: both emulators on free ports, with the added latency. */
import { startEmulators, type RunningEmulators } from '../../test/emulators/cli';

export interface TenantOptions {
	users: number;
	contacts: number;
	activities: number;
	events: number;
	/** Attendees per LN activity, organizer included. */
	attendees: number;
	/** Added to every emulator request. */
	latencyMs: number;
	seed: number;
}

export function startTenant(options: TenantOptions): Promise<RunningEmulators> {
	return startEmulators({
		lnPort: 0,
		graphPort: 0,
		users: options.users,
		contacts: options.contacts,
		activities: options.activities,
		attendeesPerActivity: options.attendees,
		events: options.events,
		seed: options.seed,
		latencyMs: options.latencyMs,
	});
}
