import { monotonicFactory } from 'ulid';

/** Prefixes by kind of object, so an id says what it names (acc_01J…, job_01J…). */
export type IdPrefix =
  | 'acc'
  | 'rrt'
  | 'job'
  | 'req'
  | 'ses'
  | 'chl'
  | 'msg'
  | 'aud'
  | 'dmx'
  | 'lac'
  | 'pst'
  | 'pay'
  | 'rfd'
  | 'pln'
  | 'trf'
  | 'lin'
  | 'esm'
  | 'dev'
  | 'nwa'
  | 'add'
  | 'lad'
  | 'key'
  | 'usg'
  | 'exp'
  | 'cev'
  | 'tkt'
  | 'tkm'
  | 'adj';

const next = monotonicFactory();

/** A prefixed, time-sortable, random id. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${next(now)}`;
}
