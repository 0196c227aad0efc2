import { DateTime, IANAZone } from 'luxon';

import {
	canonicalInstant,
	fromGraphDateTime,
	isValidZone,
	lnInstant,
	MAX_HORIZON_DAYS,
	parseInstant,
	syncWindow,
	TimeZoneError,
	toGraphDate,
	toGraphDateTime,
	toIanaZone,
	toWindowsZone,
} from '../../lib/sync/time';
import { WINDOWS_TO_IANA } from '../../lib/sync/windows-zones';

const utc = (iso: string) => DateTime.fromISO(iso, { zone: 'UTC' });

function thrown(fn: () => unknown): Error {
	try {
		fn();
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected an error');
}

describe('time zones: Windows ↔ IANA', () => {
	it.each([
		['W. Europe Standard Time', 'Europe/Berlin'],
		['Pacific Standard Time', 'America/Los_Angeles'],
		['Eastern Standard Time', 'America/New_York'],
		['GMT Standard Time', 'Europe/London'],
		['Tokyo Standard Time', 'Asia/Tokyo'],
		['AUS Eastern Standard Time', 'Australia/Sydney'],
		['India Standard Time', 'Asia/Calcutta'],
	])('maps the Windows zone %s to %s', (windows, iana) => {
		expect(toIanaZone(windows)).toBe(iana);
	});

	it('matches Windows names without regard to case and surrounding spaces', () => {
		expect(toIanaZone('w. europe standard time')).toBe('Europe/Berlin');
		expect(toIanaZone('  PACIFIC STANDARD TIME ')).toBe('America/Los_Angeles');
	});

	it('passes valid IANA names through', () => {
		expect(toIanaZone('Europe/Berlin')).toBe('Europe/Berlin');
		expect(toIanaZone('America/Sao_Paulo')).toBe('America/Sao_Paulo');
	});

	it.each([[''], ['UTC'], ['utc'], ['Etc/UTC'], ['tzone://Microsoft/Utc'], [null], [undefined]])('reads %p as UTC', (name) => {
		expect(toIanaZone(name)).toBe('UTC');
	});

	it.each([
		['Europe/Berlin', 'W. Europe Standard Time'],
		['America/New_York', 'Eastern Standard Time'],
		['America/Los_Angeles', 'Pacific Standard Time'],
		['Asia/Tokyo', 'Tokyo Standard Time'],
		['Europe/London', 'GMT Standard Time'],
		['Australia/Sydney', 'AUS Eastern Standard Time'],
		// a non-primary IANA zone of a Windows zone
		['Europe/Amsterdam', 'W. Europe Standard Time'],
		// current names the CLDR table only knows by their older ones (Asia/Calcutta, Europe/Kiev)
		['Asia/Kolkata', 'India Standard Time'],
		['Europe/Kyiv', 'FLE Standard Time'],
	])('writes the IANA zone %s as the Windows zone %s', (iana, windows) => {
		expect(toWindowsZone(iana)).toBe(windows);
	});

	it('keeps Windows names and UTC as they are when writing', () => {
		expect(toWindowsZone('W. Europe Standard Time')).toBe('W. Europe Standard Time');
		expect(toWindowsZone('utc')).toBe('UTC');
		expect(toWindowsZone('Etc/UTC')).toBe('UTC');
	});

	it('maps every Windows zone of the table to a zone luxon can compute with', () => {
		const names = Object.keys(WINDOWS_TO_IANA);
		expect(names.length).toBeGreaterThan(100);
		const invalid = names.filter((name) => !IANAZone.isValidZone(toIanaZone(name)));
		expect(invalid).toEqual([]);
	});

	it('goes Windows → IANA → Windows back to the same name for the common zones', () => {
		for (const name of ['W. Europe Standard Time', 'Romance Standard Time', 'Central Standard Time', 'China Standard Time', 'E. Australia Standard Time']) {
			expect(toWindowsZone(toIanaZone(name))).toBe(name);
		}
	});

	it.each([['Mars/Olympus_Mons'], ['Middle Earth Standard Time'], ['GMT+25']])('refuses the unknown zone %s with an error naming it', (name) => {
		const error = thrown(() => toIanaZone(name));
		expect(error).toBeInstanceOf(TimeZoneError);
		expect(error.message).toBe(`Unknown time zone "${name}"`);
		expect(isValidZone(name)).toBe(false);
		expect(() => toWindowsZone(name)).toThrow(`Unknown time zone "${name}"`);
	});

	it('says which zones are valid', () => {
		expect(isValidZone('Europe/Berlin')).toBe(true);
		expect(isValidZone('W. Europe Standard Time')).toBe(true);
		expect(isValidZone(undefined)).toBe(true);
	});
});

describe('reading Graph dateTimeTimeZone values', () => {
	it('reads wall-clock time in a Windows zone as the right instant (winter and summer)', () => {
		expect(fromGraphDateTime({ dateTime: '2026-01-15T09:00:00.0000000', timeZone: 'W. Europe Standard Time' }).toISO()).toBe('2026-01-15T08:00:00.000Z');
		expect(fromGraphDateTime({ dateTime: '2026-07-15T09:00:00.0000000', timeZone: 'W. Europe Standard Time' }).toISO()).toBe('2026-07-15T07:00:00.000Z');
		expect(fromGraphDateTime({ dateTime: '2026-07-15T09:00:00', timeZone: 'America/New_York' }).toISO()).toBe('2026-07-15T13:00:00.000Z');
	});

	it("cuts Graph's seven fractional digits to milliseconds", () => {
		expect(fromGraphDateTime({ dateTime: '2026-05-01T10:20:30.1234567', timeZone: 'UTC' }).toISO()).toBe('2026-05-01T10:20:30.123Z');
	});

	it('uses the fallback zone when the value has none, and an explicit offset over the zone', () => {
		expect(fromGraphDateTime({ dateTime: '2026-01-15T09:00:00', timeZone: '' }, 'Europe/Berlin').toISO()).toBe('2026-01-15T08:00:00.000Z');
		expect(fromGraphDateTime({ dateTime: '2026-01-15T09:00:00Z', timeZone: 'Tokyo Standard Time' }).toISO()).toBe('2026-01-15T09:00:00.000Z');
		expect(fromGraphDateTime({ dateTime: '2026-01-15T09:00:00+02:00', timeZone: 'UTC' }).toISO()).toBe('2026-01-15T07:00:00.000Z');
	});

	it('returns UTC instants', () => {
		expect(fromGraphDateTime({ dateTime: '2026-01-15T09:00:00', timeZone: 'Tokyo Standard Time' }).zoneName).toBe('UTC');
	});

	it('refuses missing and invalid values with a clear error', () => {
		expect(() => fromGraphDateTime(undefined)).toThrow(new TimeZoneError('missing date and time'));
		expect(() => fromGraphDateTime({ dateTime: '', timeZone: 'UTC' })).toThrow('missing date and time');
		expect(() => fromGraphDateTime({ dateTime: 'next Tuesday', timeZone: 'UTC' })).toThrow('invalid date and time "next Tuesday"');
		expect(() => fromGraphDateTime({ dateTime: '2026-01-15T09:00:00', timeZone: 'Atlantis Standard Time' })).toThrow('Unknown time zone "Atlantis Standard Time"');
	});
});

describe('daylight-saving edges', () => {
	// Europe: 2026-03-29 01:00Z clocks go 02:00 → 03:00; 2026-10-25 01:00Z clocks go 03:00 → 02:00.
	it('reads wall-clock times just before and after the spring change in Berlin', () => {
		const read = (dateTime: string) => fromGraphDateTime({ dateTime, timeZone: 'W. Europe Standard Time' }).toISO();
		expect(read('2026-03-29T01:59:00')).toBe('2026-03-29T00:59:00.000Z');
		expect(read('2026-03-29T03:00:00')).toBe('2026-03-29T01:00:00.000Z');
		// the same 09:00 meeting a week apart moves by an hour in UTC
		expect(read('2026-03-26T09:00:00')).toBe('2026-03-26T08:00:00.000Z');
		expect(read('2026-04-02T09:00:00')).toBe('2026-04-02T07:00:00.000Z');
	});

	it('reads wall-clock times around the autumn change in Berlin', () => {
		const read = (dateTime: string) => fromGraphDateTime({ dateTime, timeZone: 'W. Europe Standard Time' }).toISO();
		expect(read('2026-10-25T01:59:00')).toBe('2026-10-24T23:59:00.000Z');
		expect(read('2026-10-25T03:00:00')).toBe('2026-10-25T02:00:00.000Z');
	});

	it('writes instants on either side of a change with the right wall-clock time', () => {
		expect(toGraphDateTime(utc('2026-03-29T00:30:00Z'), 'Europe/Berlin')).toEqual({ dateTime: '2026-03-29T01:30:00', timeZone: 'W. Europe Standard Time' });
		expect(toGraphDateTime(utc('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toEqual({ dateTime: '2026-03-29T03:30:00', timeZone: 'W. Europe Standard Time' });
		// US change 2026-03-08 07:00Z (02:00 EST → 03:00 EDT)
		expect(toGraphDateTime(utc('2026-03-08T06:30:00Z'), 'Eastern Standard Time')).toEqual({ dateTime: '2026-03-08T01:30:00', timeZone: 'Eastern Standard Time' });
		expect(toGraphDateTime(utc('2026-03-08T07:30:00Z'), 'America/New_York')).toEqual({ dateTime: '2026-03-08T03:30:00', timeZone: 'Eastern Standard Time' });
		// southern hemisphere: Sydney leaves DST on 2026-04-05 (03:00 AEDT → 02:00 AEST at 16:00Z on the 4th)
		expect(toGraphDateTime(utc('2026-04-04T15:30:00Z'), 'Australia/Sydney').dateTime).toBe('2026-04-05T02:30:00');
		expect(toGraphDateTime(utc('2026-04-04T16:30:00Z'), 'Australia/Sydney').dateTime).toBe('2026-04-05T02:30:00');
	});

	it('round-trips every quarter hour of a spring-change day through wall-clock time', () => {
		const changes: Array<[string, string]> = [
			['Europe/Berlin', '2026-03-29T01:00:00Z'],
			['America/New_York', '2026-03-08T07:00:00Z'],
			['Australia/Sydney', '2026-10-03T16:00:00Z'],
		];
		for (const [zone, change] of changes) {
			// the change really is there: the offset differs an hour apart
			expect(utc(change).minus({ minutes: 1 }).setZone(zone).offset).not.toBe(utc(change).setZone(zone).offset);
			let instant = utc(change).minus({ hours: 12 });
			const end = utc(change).plus({ hours: 12 });
			while (instant < end) {
				const back = fromGraphDateTime(toGraphDateTime(instant, zone));
				expect(`${zone} ${back.toISO()}`).toBe(`${zone} ${instant.toISO()}`);
				instant = instant.plus({ minutes: 15 });
			}
		}
	});

	it('keeps a one-hour event across the spring change one hour long', () => {
		const start = fromGraphDateTime({ dateTime: '2026-03-29T01:30:00', timeZone: 'W. Europe Standard Time' });
		const end = fromGraphDateTime({ dateTime: '2026-03-29T03:30:00', timeZone: 'W. Europe Standard Time' });
		expect(end.diff(start, 'minutes').minutes).toBe(60);
	});
});

describe('all-day dates', () => {
	it('writes a date as midnight of that day in the zone, with the Windows name', () => {
		expect(toGraphDate('2026-12-24', 'Europe/Berlin')).toEqual({ dateTime: '2026-12-24T00:00:00', timeZone: 'W. Europe Standard Time' });
		expect(toGraphDate('2026-12-24', 'UTC')).toEqual({ dateTime: '2026-12-24T00:00:00', timeZone: 'UTC' });
	});

	it('keeps the date whatever the zone (floating), also on a DST change day', () => {
		expect(toGraphDate('2026-03-29', 'Pacific Standard Time').dateTime).toBe('2026-03-29T00:00:00');
		expect(toGraphDate('2026-03-29', 'Tokyo Standard Time').dateTime).toBe('2026-03-29T00:00:00');
	});

	it('refuses an unknown zone', () => {
		expect(() => toGraphDate('2026-12-24', 'Nowhere/Town')).toThrow('Unknown time zone "Nowhere/Town"');
	});
});

describe('LN instants', () => {
	it('parses UTC, offsets and zone-less text as UTC instants', () => {
		expect(parseInstant('2026-11-25T10:00:00Z').toISO()).toBe('2026-11-25T10:00:00.000Z');
		expect(parseInstant('2026-11-25T11:00:00+01:00').toISO()).toBe('2026-11-25T10:00:00.000Z');
		expect(parseInstant('2026-11-25T10:00:00').toISO()).toBe('2026-11-25T10:00:00.000Z');
		expect(parseInstant(' 2026-11-25T10:00:00Z ').toISO()).toBe('2026-11-25T10:00:00.000Z');
	});

	it('refuses missing and invalid dates naming the field', () => {
		expect(() => parseInstant(undefined, 'start')).toThrow(new TimeZoneError('missing start'));
		expect(() => parseInstant('  ', 'end')).toThrow('missing end');
		expect(() => parseInstant(20261125, 'start')).toThrow('missing start');
		expect(() => parseInstant('2026-13-45T10:00:00Z', 'start')).toThrow('invalid start "2026-13-45T10:00:00Z"');
	});

	it('canonical instants are UTC to the minute: seconds never count', () => {
		expect(canonicalInstant(utc('2026-11-25T10:00:59.999Z'))).toBe('2026-11-25T10:00Z');
		expect(canonicalInstant(DateTime.fromISO('2026-11-25T11:00:00+01:00', { setZone: true }))).toBe('2026-11-25T10:00Z');
		expect(canonicalInstant(utc('2026-11-25T10:01:00Z'))).not.toBe(canonicalInstant(utc('2026-11-25T10:00:00Z')));
	});

	it('LN text is UTC without milliseconds', () => {
		expect(lnInstant(utc('2026-11-25T10:00:00.456Z'))).toBe('2026-11-25T10:00:00Z');
		expect(lnInstant(DateTime.fromISO('2026-11-25T11:30:00+01:00', { setZone: true }))).toBe('2026-11-25T10:30:00Z');
	});
});

describe('the sync window', () => {
	const now = utc('2026-11-23T10:00:00Z');

	it('runs from now to now + horizon days, in UTC', () => {
		const window = syncWindow(now, 365);
		expect(window.start.toISO()).toBe('2026-11-23T10:00:00.000Z');
		expect(window.end.toISO()).toBe('2027-11-23T10:00:00.000Z');
		const fromBerlin = syncWindow(DateTime.fromISO('2026-11-23T11:00:00', { zone: 'Europe/Berlin' }), 1);
		expect(fromBerlin.start.zoneName).toBe('UTC');
		expect(fromBerlin.start.toISO()).toBe('2026-11-23T10:00:00.000Z');
		expect(fromBerlin.end.toISO()).toBe('2026-11-24T10:00:00.000Z');
	});

	it("allows up to Graph's 1,825 days", () => {
		expect(MAX_HORIZON_DAYS).toBe(1825);
		expect(syncWindow(now, 1825).end.toISO()).toBe(now.plus({ days: 1825 }).toISO());
		expect(() => syncWindow(now, 1826)).toThrow(new RangeError("The horizon can be at most 1825 days, Microsoft Graph's calendar range limit (got 1826)"));
	});

	it.each([[0], [0.5], [-3], [Number.NaN], [Number.POSITIVE_INFINITY]])('refuses the horizon %p', (days) => {
		expect(() => syncWindow(now, days)).toThrow(RangeError);
		expect(() => syncWindow(now, days)).toThrow(`(got ${days})`);
	});
});
