import { Type } from 'typebox';
import { Nullable } from '../../core/schemas.js';
import { EsimStateSchema, LineStatusSchema } from '../../core/statuses.js';

// A line, its eSIMs and its devices as the API sends them: to the subscriber (lines.routes) and in
// the customer 360 (backoffice), which must not drift apart.

export const Esim = Type.Object({
  id: Type.String(),
  iccid: Nullable(Type.String()),
  activationCode: Nullable(Type.String()),
  state: EsimStateSchema,
  eid: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export const Line = Type.Object({
  id: Type.String(),
  status: LineStatusSchema,
  msisdn: Type.String(),
  planId: Type.String(),
  planName: Type.String(),
  price: Type.Ref('Money'),
  esim: Esim,
  esims: Type.Array(Esim),
  allowances: Type.Object({
    dataBytes: Nullable(Type.Integer()),
    voiceSeconds: Nullable(Type.Integer()),
    sms: Nullable(Type.Integer()),
    total: Type.Object({ dataBytes: Type.Integer(), voiceSeconds: Type.Integer(), sms: Type.Integer() }),
  }),
  activatedAt: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export const Device = Type.Object({
  id: Type.String(),
  eid: Type.String(),
  name: Type.String(),
  lineId: Type.String(),
  iccid: Nullable(Type.String()),
  boundAt: Type.String({ format: 'date-time' }),
});
