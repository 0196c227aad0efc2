import type { PatternedRecurrence } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { GraphError } from './errors';
import { resolveZone, unsupportedZone } from './timezones';

/**
 * Expansion of Outlook recurrence patterns. Occurrences are generated as local dates in the
 * recurrence time zone and combined with the series' local start time, so they keep their
 * wall-clock time across DST changes (as Outlook does).
 */

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
type Day = (typeof DAYS)[number];
const WEEK_INDEX = ['first', 'second', 'third', 'fourth', 'last'] as const;
const PATTERNS = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly', 'relativeYearly'] as const;
const RANGES = ['endDate', 'noEnd', 'numbered'] as const;

/** Graph's normalized recurrence (every field present, as Graph returns it). */
export interface NormalizedRecurrence {
	pattern: {
		type: (typeof PATTERNS)[number];
		interval: number;
		month: number;
		dayOfMonth: number;
		daysOfWeek: Day[];
		firstDayOfWeek: Day;
		index: (typeof WEEK_INDEX)[number];
	};
	range: {
		type: (typeof RANGES)[number];
		startDate: string;
		endDate: string;
		recurrenceTimeZone: string;
		numberOfOccurrences: number;
	};
}

const invalid = (message: string): GraphError => new GraphError(400, 'ErrorInvalidRequest', message);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates a client's recurrence and fills Graph's defaults. */
export function normalizeRecurrence(input: PatternedRecurrence, defaultZone: string): NormalizedRecurrence {
	const pattern = input.pattern ?? undefined;
	const range = input.range ?? undefined;
	if (!pattern || !range) throw invalid('A recurrence needs both a pattern and a range.');
	const type = pattern.type as NormalizedRecurrence['pattern']['type'];
	if (!PATTERNS.includes(type)) throw invalid(`Unsupported recurrence pattern type '${String(pattern.type)}'.`);
	const interval = pattern.interval ?? 1;
	if (!Number.isInteger(interval) || interval < 1 || interval > 99) throw invalid('The recurrence interval must be between 1 and 99.');
	const daysOfWeek = (pattern.daysOfWeek ?? []).map((d) => String(d).toLowerCase()) as Day[];
	if (daysOfWeek.some((d) => !DAYS.includes(d))) throw invalid('Invalid day of week in recurrence pattern.');
	const firstDayOfWeek = (String(pattern.firstDayOfWeek ?? 'sunday').toLowerCase()) as Day;
	if (!DAYS.includes(firstDayOfWeek)) throw invalid('Invalid firstDayOfWeek in recurrence pattern.');
	const index = (String(pattern.index ?? 'first')) as NormalizedRecurrence['pattern']['index'];
	if (!WEEK_INDEX.includes(index)) throw invalid('Invalid week index in recurrence pattern.');
	const month = pattern.month ?? 0;
	const dayOfMonth = pattern.dayOfMonth ?? 0;
	if ((type === 'weekly' || type.startsWith('relative')) && daysOfWeek.length === 0) {
		throw invalid(`The recurrence pattern '${type}' needs daysOfWeek.`);
	}
	if (type.startsWith('absolute') && !(dayOfMonth >= 1 && dayOfMonth <= 31)) {
		throw invalid(`The recurrence pattern '${type}' needs a dayOfMonth between 1 and 31.`);
	}
	if (type.endsWith('Yearly') && !(month >= 1 && month <= 12)) {
		throw invalid(`The recurrence pattern '${type}' needs a month between 1 and 12.`);
	}
	const rangeType = range.type as NormalizedRecurrence['range']['type'];
	if (!RANGES.includes(rangeType)) throw invalid(`Unsupported recurrence range type '${String(range.type)}'.`);
	if (!range.startDate || !DATE.test(range.startDate)) throw invalid('The recurrence range needs a startDate (yyyy-MM-dd).');
	let endDate = '0001-01-01';
	if (rangeType === 'endDate') {
		if (!range.endDate || !DATE.test(range.endDate)) throw invalid('The recurrence range needs an endDate (yyyy-MM-dd).');
		if (range.endDate < range.startDate) throw invalid('The recurrence range endDate is before its startDate.');
		endDate = range.endDate;
	}
	const numberOfOccurrences = range.numberOfOccurrences ?? 0;
	if (rangeType === 'numbered' && !(Number.isInteger(numberOfOccurrences) && numberOfOccurrences >= 1)) {
		throw invalid('A numbered recurrence range needs numberOfOccurrences of at least 1.');
	}
	const zone = range.recurrenceTimeZone || defaultZone;
	if (!resolveZone(zone)) throw unsupportedZone(zone);
	return {
		pattern: { type, interval, month, dayOfMonth, daysOfWeek, firstDayOfWeek, index },
		range: { type: rangeType, startDate: range.startDate, endDate, recurrenceTimeZone: zone, numberOfOccurrences },
	};
}

export interface Occurrence {
	startMs: number;
	endMs: number;
}

export interface SeriesTiming {
	startMs: number;
	endMs: number;
	isAllDay: boolean;
}

const MAX_STEPS = 200000;

/**
 * Occurrences of a series overlapping [fromMs, toMs) (all of them up to `toMs` for numbered ranges,
 * which must be counted from the start). An occurrence is identified by its original start.
 */
export function expand(recurrence: NormalizedRecurrence, timing: SeriesTiming, fromMs: number, toMs: number): Occurrence[] {
	const zone = resolveZone(recurrence.range.recurrenceTimeZone) ?? 'UTC';
	const seriesStart = DateTime.fromMillis(timing.startMs, { zone });
	const seriesEnd = DateTime.fromMillis(timing.endMs, { zone });
	const durationMs = timing.endMs - timing.startMs;
	const allDayDays = Math.round(seriesEnd.startOf('day').diff(seriesStart.startOf('day'), 'days').days);
	const time = { hour: seriesStart.hour, minute: seriesStart.minute, second: seriesStart.second, millisecond: seriesStart.millisecond };
	const result: Occurrence[] = [];
	let count = 0;
	const limit = recurrence.range.type === 'numbered' ? recurrence.range.numberOfOccurrences : Infinity;
	const lastDate = recurrence.range.type === 'endDate' ? DateTime.fromISO(recurrence.range.endDate, { zone }) : undefined;
	for (const date of dates(recurrence, zone)) {
		if (lastDate && date > lastDate) break;
		if (count >= limit) break;
		const start = date.set(time);
		const startMs = start.toMillis();
		if (startMs >= toMs) break;
		count++;
		const endMs = timing.isAllDay ? start.plus({ days: allDayDays }).toMillis() : startMs + durationMs;
		if (endMs > fromMs || (startMs >= fromMs && durationMs === 0)) result.push({ startMs, endMs });
	}
	return result;
}

/** Local dates (midnight, in `zone`) of the pattern, from the range's start date on. */
function* dates(recurrence: NormalizedRecurrence, zone: string): Generator<DateTime> {
	const { pattern } = recurrence;
	const start = DateTime.fromISO(recurrence.range.startDate, { zone }).startOf('day');
	const weekday = (d: Day): number => DAYS.indexOf(d) + 1;
	let steps = 0;
	const guard = (): void => {
		if (++steps > MAX_STEPS) throw invalid('The recurrence expands to too many occurrences.');
	};
	switch (pattern.type) {
		case 'daily':
			for (let d = start; ; d = d.plus({ days: pattern.interval })) {
				guard();
				yield d;
			}
		case 'weekly': {
			const firstDay = weekday(pattern.firstDayOfWeek);
			const weekStart = start.minus({ days: (start.weekday - firstDay + 7) % 7 });
			const offsets = pattern.daysOfWeek.map((d) => (weekday(d) - firstDay + 7) % 7).sort((a, b) => a - b);
			for (let w = 0; ; w += pattern.interval) {
				for (const offset of offsets) {
					guard();
					const d = weekStart.plus({ days: w * 7 + offset });
					if (d >= start) yield d;
				}
			}
		}
		case 'absoluteMonthly':
		case 'relativeMonthly':
		case 'absoluteYearly':
		case 'relativeYearly': {
			const yearly = pattern.type.endsWith('Yearly');
			const stepMonths = yearly ? 12 * pattern.interval : pattern.interval;
			let anchor = start.startOf('month');
			if (yearly) {
				anchor = anchor.set({ month: pattern.month });
				if (anchor < start.startOf('month')) anchor = anchor.plus({ years: 1 });
			}
			for (let m = anchor; ; m = m.plus({ months: stepMonths })) {
				guard();
				const d = pattern.type.startsWith('absolute')
					? m.set({ day: Math.min(pattern.dayOfMonth, m.daysInMonth ?? 28) })
					: relativeDay(m, pattern.daysOfWeek.map(weekday), pattern.index);
				if (d && d >= start) yield d;
			}
		}
	}
}

/** The first/second/third/fourth/last day in a month whose weekday is one of `weekdays`. */
function relativeDay(month: DateTime, weekdays: number[], index: NormalizedRecurrence['pattern']['index']): DateTime | undefined {
	const candidates: DateTime[] = [];
	for (let day = 1; day <= (month.daysInMonth ?? 28); day++) {
		const d = month.set({ day });
		if (weekdays.includes(d.weekday)) candidates.push(d);
	}
	if (index === 'last') return candidates[candidates.length - 1];
	return candidates[WEEK_INDEX.indexOf(index)];
}
