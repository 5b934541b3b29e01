import { ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import { windowQuery } from '../query/composite';
import type { DetectionWindow } from './model';

/** Connections of a window: Zeek `conn` events, the one log with every flow the sensor saw. */
export const CONN_INDEX = ZEEK_EVENTS_PATTERN;

export function connQuery(window: DetectionWindow, ...filters: Array<Record<string, unknown>>): Record<string, unknown> {
  return windowQuery(window.start, window.end, { term: { 'event.dataset': 'zeek.conn' } }, ...filters);
}

/** The query that finds the raw events behind an anomaly, kept in the anomaly so that a person can open them. */
export function eventsLink(window: DetectionWindow, dataset: string, terms: Record<string, string | number | Array<string | number>>): Record<string, unknown> {
  return windowQuery(
    window.start,
    window.end,
    { term: { 'event.dataset': dataset } },
    ...Object.entries(terms).map(([field, value]) => (Array.isArray(value) ? { terms: { [field]: value } } : { term: { [field]: value } })),
  );
}

export function str(v: string | number | null | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}
