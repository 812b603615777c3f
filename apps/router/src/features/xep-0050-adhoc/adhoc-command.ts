import type { Jid } from '#libs/jid';
import type { FormDefinition, FormValues, StanzaError } from '#libs/stanza';
import type { Element } from '#libs/xml';

/** XEP-0050 §3.4 <note/>: what the requester is told at the end of a command. */
export interface CommandNote {
  type: 'info' | 'warn' | 'error';
  text: string;
}

/** The outcome of a stage: a form to fill (status executing) or the end (status completed). */
export type CommandStep = { status: 'executing'; form: FormDefinition } | { status: 'completed'; result?: Element; notes?: CommandNote[] } | StanzaError;

export interface CommandCall {
  from: Jid;
  /** The domain the command was sent to (the server's). */
  domain: string;
}

/**
 * One ad-hoc command (XEP-0050). Commands here have at most one form: `start` answers `execute`
 * with a form (or completes at once), `submit` gets that form's checked values on `complete`
 * (or `execute`, the default action of the stage, §3.4).
 */
export interface AdhocCommand {
  node: string;
  name: string;
  /** Who may see (disco#items) and run it; others get <forbidden/> (§4.6) and do not see it. */
  allowed(from: Jid): boolean;
  start(call: CommandCall): Promise<CommandStep>;
  submit(values: FormValues, call: CommandCall): Promise<CommandStep>;
}
