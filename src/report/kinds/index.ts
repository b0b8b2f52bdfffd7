/**
 * The run kinds the report knows, in detection order (the first whose detect() claims a folder
 * renders it). A new kind of run: one module beside these and one line here.
 */
import { registerRunKind } from '../kinds.ts';
import { liftKind } from './lift.ts';
import { evaluateKind } from './evaluate.ts';

registerRunKind(liftKind);
registerRunKind(evaluateKind);
