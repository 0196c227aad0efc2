import { DateTime, IANAZone } from 'luxon';

import { GraphError } from './errors';

/**
 * Windows time-zone names (what Outlook and Graph use) mapped to IANA zones (all of CLDR
 * windowsZones, territory 001; kept here rather than imported from lib/ so the emulator does not
 * share the code under test). Graph accepts either form in `dateTimeTimeZone.timeZone` and in
 * `Prefer: outlook.timezone`.
 */
export const WINDOWS_ZONES: Record<string, string> = {
	'UTC': 'UTC',
	'Dateline Standard Time': 'Etc/GMT+12',
	'UTC-11': 'Etc/GMT+11',
	'Hawaiian Standard Time': 'Pacific/Honolulu',
	'Alaskan Standard Time': 'America/Anchorage',
	'Pacific Standard Time (Mexico)': 'America/Tijuana',
	'Pacific Standard Time': 'America/Los_Angeles',
	'US Mountain Standard Time': 'America/Phoenix',
	'Mountain Standard Time (Mexico)': 'America/Mazatlan',
	'Mountain Standard Time': 'America/Denver',
	'Central America Standard Time': 'America/Guatemala',
	'Central Standard Time': 'America/Chicago',
	'Central Standard Time (Mexico)': 'America/Mexico_City',
	'Canada Central Standard Time': 'America/Regina',
	'SA Pacific Standard Time': 'America/Bogota',
	'Eastern Standard Time (Mexico)': 'America/Cancun',
	'Eastern Standard Time': 'America/New_York',
	'US Eastern Standard Time': 'America/Indiana/Indianapolis',
	'Venezuela Standard Time': 'America/Caracas',
	'Paraguay Standard Time': 'America/Asuncion',
	'Atlantic Standard Time': 'America/Halifax',
	'Central Brazilian Standard Time': 'America/Cuiaba',
	'SA Western Standard Time': 'America/La_Paz',
	'Pacific SA Standard Time': 'America/Santiago',
	'Newfoundland Standard Time': 'America/St_Johns',
	'E. South America Standard Time': 'America/Sao_Paulo',
	'Argentina Standard Time': 'America/Argentina/Buenos_Aires',
	'SA Eastern Standard Time': 'America/Cayenne',
	'Greenland Standard Time': 'America/Nuuk',
	'Montevideo Standard Time': 'America/Montevideo',
	'UTC-02': 'Etc/GMT+2',
	'Azores Standard Time': 'Atlantic/Azores',
	'Cape Verde Standard Time': 'Atlantic/Cape_Verde',
	'Morocco Standard Time': 'Africa/Casablanca',
	'GMT Standard Time': 'Europe/London',
	'Greenwich Standard Time': 'Atlantic/Reykjavik',
	'W. Europe Standard Time': 'Europe/Berlin',
	'Central Europe Standard Time': 'Europe/Budapest',
	'Romance Standard Time': 'Europe/Paris',
	'Central European Standard Time': 'Europe/Warsaw',
	'W. Central Africa Standard Time': 'Africa/Lagos',
	'Jordan Standard Time': 'Asia/Amman',
	'GTB Standard Time': 'Europe/Bucharest',
	'Middle East Standard Time': 'Asia/Beirut',
	'Egypt Standard Time': 'Africa/Cairo',
	'E. Europe Standard Time': 'Europe/Chisinau',
	'Syria Standard Time': 'Asia/Damascus',
	'South Africa Standard Time': 'Africa/Johannesburg',
	'FLE Standard Time': 'Europe/Kiev',
	'Israel Standard Time': 'Asia/Jerusalem',
	'Kaliningrad Standard Time': 'Europe/Kaliningrad',
	'Arabic Standard Time': 'Asia/Baghdad',
	'Turkey Standard Time': 'Europe/Istanbul',
	'Arab Standard Time': 'Asia/Riyadh',
	'Belarus Standard Time': 'Europe/Minsk',
	'Russian Standard Time': 'Europe/Moscow',
	'E. Africa Standard Time': 'Africa/Nairobi',
	'Iran Standard Time': 'Asia/Tehran',
	'Arabian Standard Time': 'Asia/Dubai',
	'Azerbaijan Standard Time': 'Asia/Baku',
	'Mauritius Standard Time': 'Indian/Mauritius',
	'Georgian Standard Time': 'Asia/Tbilisi',
	'Caucasus Standard Time': 'Asia/Yerevan',
	'Afghanistan Standard Time': 'Asia/Kabul',
	'West Asia Standard Time': 'Asia/Tashkent',
	'Ekaterinburg Standard Time': 'Asia/Yekaterinburg',
	'Pakistan Standard Time': 'Asia/Karachi',
	'India Standard Time': 'Asia/Kolkata',
	'Sri Lanka Standard Time': 'Asia/Colombo',
	'Nepal Standard Time': 'Asia/Kathmandu',
	// UTC+6; Almaty itself moved to UTC+5 in 2024, so CLDR now names Bishkek.
	'Central Asia Standard Time': 'Asia/Bishkek',
	'Bangladesh Standard Time': 'Asia/Dhaka',
	'Myanmar Standard Time': 'Asia/Yangon',
	'SE Asia Standard Time': 'Asia/Bangkok',
	'N. Central Asia Standard Time': 'Asia/Novosibirsk',
	'China Standard Time': 'Asia/Shanghai',
	'North Asia Standard Time': 'Asia/Krasnoyarsk',
	'Singapore Standard Time': 'Asia/Singapore',
	'W. Australia Standard Time': 'Australia/Perth',
	'Taipei Standard Time': 'Asia/Taipei',
	'Ulaanbaatar Standard Time': 'Asia/Ulaanbaatar',
	'Tokyo Standard Time': 'Asia/Tokyo',
	'Korea Standard Time': 'Asia/Seoul',
	'Yakutsk Standard Time': 'Asia/Yakutsk',
	'Cen. Australia Standard Time': 'Australia/Adelaide',
	'AUS Central Standard Time': 'Australia/Darwin',
	'E. Australia Standard Time': 'Australia/Brisbane',
	'AUS Eastern Standard Time': 'Australia/Sydney',
	'West Pacific Standard Time': 'Pacific/Port_Moresby',
	'Tasmania Standard Time': 'Australia/Hobart',
	'Vladivostok Standard Time': 'Asia/Vladivostok',
	'Central Pacific Standard Time': 'Pacific/Guadalcanal',
	'New Zealand Standard Time': 'Pacific/Auckland',
	'Fiji Standard Time': 'Pacific/Fiji',
	'Tonga Standard Time': 'Pacific/Tongatapu',
	'UTC+12': 'Etc/GMT-12',
	'Samoa Standard Time': 'Pacific/Apia',
	'Line Islands Standard Time': 'Pacific/Kiritimati',
	// The less common zones (CLDR windowsZones, territory 001).
	'Aleutian Standard Time': 'America/Adak',
	'Altai Standard Time': 'Asia/Barnaul',
	'Astrakhan Standard Time': 'Europe/Astrakhan',
	'Aus Central W. Standard Time': 'Australia/Eucla',
	'Bahia Standard Time': 'America/Bahia',
	'Bougainville Standard Time': 'Pacific/Bougainville',
	'Chatham Islands Standard Time': 'Pacific/Chatham',
	'Cuba Standard Time': 'America/Havana',
	'Easter Island Standard Time': 'Pacific/Easter',
	'Haiti Standard Time': 'America/Port-au-Prince',
	'Libya Standard Time': 'Africa/Tripoli',
	'Lord Howe Standard Time': 'Australia/Lord_Howe',
	'Magadan Standard Time': 'Asia/Magadan',
	'Magallanes Standard Time': 'America/Punta_Arenas',
	'Marquesas Standard Time': 'Pacific/Marquesas',
	'Namibia Standard Time': 'Africa/Windhoek',
	'Norfolk Standard Time': 'Pacific/Norfolk',
	'North Asia East Standard Time': 'Asia/Irkutsk',
	'North Korea Standard Time': 'Asia/Pyongyang',
	'Omsk Standard Time': 'Asia/Omsk',
	'Qyzylorda Standard Time': 'Asia/Qyzylorda',
	'Russia Time Zone 10': 'Asia/Srednekolymsk',
	'Russia Time Zone 11': 'Asia/Kamchatka',
	'Russia Time Zone 3': 'Europe/Samara',
	'Saint Pierre Standard Time': 'America/Miquelon',
	'Sakhalin Standard Time': 'Asia/Sakhalin',
	'Sao Tome Standard Time': 'Africa/Sao_Tome',
	'Saratov Standard Time': 'Europe/Saratov',
	'South Sudan Standard Time': 'Africa/Juba',
	'Sudan Standard Time': 'Africa/Khartoum',
	'Tocantins Standard Time': 'America/Araguaina',
	'Tomsk Standard Time': 'Asia/Tomsk',
	'Transbaikal Standard Time': 'Asia/Chita',
	'Turks And Caicos Standard Time': 'America/Grand_Turk',
	'UTC-08': 'Etc/GMT+8',
	'UTC-09': 'Etc/GMT+9',
	'UTC+13': 'Etc/GMT-13',
	'Volgograd Standard Time': 'Europe/Volgograd',
	'W. Mongolia Standard Time': 'Asia/Hovd',
	'West Bank Standard Time': 'Asia/Hebron',
	'Yukon Standard Time': 'America/Whitehorse',
	// Graph writes these for UTC and legacy custom zones.
	'tzone://Microsoft/Utc': 'UTC',
	'Coordinated Universal Time': 'UTC',
};

const WINDOWS_LOWER = new Map(Object.entries(WINDOWS_ZONES).map(([k, v]) => [k.toLowerCase(), v]));

/** The IANA zone for a Windows or IANA name, or undefined when unknown. */
export function resolveZone(name: string | null | undefined): string | undefined {
	if (typeof name !== 'string' || !name.trim()) return undefined;
	const windows = WINDOWS_LOWER.get(name.trim().toLowerCase());
	if (windows) return windows;
	if (IANAZone.isValidZone(name.trim())) return name.trim();
	return undefined;
}

export function unsupportedZone(name: unknown): GraphError {
	return new GraphError(
		400,
		'TimeZoneNotSupportedException',
		`A valid TimeZone value must be specified. The following TimeZone value is not supported: '${String(name ?? '')}'.`,
	);
}

export interface ParsedTime {
	ms: number;
	/** The zone name as the client gave it (kept for originalStartTimeZone). */
	zoneName: string;
	iana: string;
	local: DateTime;
}

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?/;

/**
 * Reads a `dateTimeTimeZone`. The wall-clock part is interpreted in `timeZone`; a trailing offset
 * or `Z` in `dateTime` is ignored, as Graph does (a source of the well-known 1–2 h shifts).
 */
export function parseDateTimeTimeZone(value: unknown, field: string): ParsedTime {
	if (!value || typeof value !== 'object') {
		throw new GraphError(400, 'ErrorInvalidRequest', `The property '${field}' must be a dateTimeTimeZone object.`);
	}
	const { dateTime, timeZone } = value as { dateTime?: unknown; timeZone?: unknown };
	const zoneName = typeof timeZone === 'string' && timeZone.trim() ? timeZone.trim() : 'UTC';
	const iana = resolveZone(zoneName);
	if (!iana) throw unsupportedZone(timeZone);
	const match = typeof dateTime === 'string' ? WALL_CLOCK.exec(dateTime.trim()) : null;
	if (!match) {
		throw new GraphError(400, 'ErrorInvalidRequest', `Cannot convert the literal '${String(dateTime)}' to the expected type 'Edm.DateTime'.`);
	}
	const fraction = match[7] ? Number(match[7].padEnd(7, '0').slice(0, 3)) : 0;
	const local = DateTime.fromObject(
		{
			year: Number(match[1]),
			month: Number(match[2]),
			day: Number(match[3]),
			hour: Number(match[4] ?? 0),
			minute: Number(match[5] ?? 0),
			second: Number(match[6] ?? 0),
			millisecond: fraction,
		},
		{ zone: iana },
	);
	if (!local.isValid) {
		throw new GraphError(400, 'ErrorInvalidRequest', `Cannot convert the literal '${String(dateTime)}' to the expected type 'Edm.DateTime'.`);
	}
	return { ms: local.toMillis(), zoneName, iana, local };
}

/** Graph's dateTime format: seven fractional digits, no offset. */
export function formatWallClock(ms: number, iana: string): string {
	return DateTime.fromMillis(ms, { zone: iana }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'0000'");
}

/** Graph's DateTimeOffset format for createdDateTime etc. */
export function formatInstant(ms: number): string {
	return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/**
 * Query-string instants (calendarView startDateTime/endDateTime): an offset is honoured, no offset
 * means UTC.
 */
export function parseQueryInstant(text: string | null): number | undefined {
	if (!text) return undefined;
	const trimmed = text.trim();
	const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
	const parsed = DateTime.fromISO(trimmed, { zone: 'UTC', setZone: hasZone });
	return parsed.isValid ? parsed.toMillis() : undefined;
}
