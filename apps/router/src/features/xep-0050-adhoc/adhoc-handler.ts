import { FormError, NS, StanzaError, dataForm, readSubmittedForm } from '#libs/stanza';
import { Element, xml } from '#libs/xml';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { AdhocCommand, CommandCall, CommandStep } from './adhoc-command.js';
import { adhocError } from './adhoc-errors.js';
import type { AdhocSessions } from './adhoc-sessions.js';

const ACTIONS = new Set(['execute', 'cancel', 'prev', 'next', 'complete']);

/**
 * XEP-0050 §3.4 execution: `execute` without a session starts a command; with its sessionid the
 * requester completes (or cancels) the stage. Our commands have one form, so the only actions a
 * stage allows are complete (its default, also reached by execute) and cancel; prev/next are
 * <bad-action/>.
 */
export class AdhocHandler {
  constructor(
    private readonly commands: () => ReadonlyMap<string, AdhocCommand>,
    private readonly sessions: AdhocSessions,
  ) {}

  /** Errors carry the request's node and sessionid back in a <command/> (clients such as slixmpp match on it). */
  async handle(req: IqRequest): Promise<Element | StanzaError> {
    const answer = await this.answerRequest(req);
    if (!(answer instanceof StanzaError)) return answer;
    const { node, sessionid } = req.payload.attrs;
    const echo = xml('command', { xmlns: NS.commands, ...(node ? { node } : {}), ...(sessionid ? { sessionid } : {}) });
    return new StanzaError(answer.condition, { ...answer.options, echo });
  }

  private async answerRequest(req: IqRequest): Promise<Element | StanzaError> {
    const cmd = req.payload;
    const node = cmd.attrs.node;
    const action = cmd.attrs.action ?? 'execute';
    if (!ACTIONS.has(action)) return adhocError('malformed-action', `unknown action "${action}"`);
    if (!node) return new StanzaError('bad-request', { text: 'the command has no node' });
    const command = this.commands().get(node);
    if (!command) return new StanzaError('item-not-found', { text: `no command ${node}` });
    if (!command.allowed(req.from)) return new StanzaError('forbidden');
    const call: CommandCall = { from: req.from, domain: req.to.domain };
    const bare = req.from.bare().toString();
    const sid = cmd.attrs.sessionid;

    if (!sid) {
      if (action !== 'execute') return adhocError('bad-sessionid', `"${action}" needs the sessionid of a running command`);
      const step = await command.start(call);
      if (step instanceof StanzaError || step.status === 'completed') return this.answer(node, undefined, step);
      const id = await this.sessions.open(node, req.from.toString(), bare);
      if (!id) return new StanzaError('resource-constraint', { text: 'too many open command sessions; complete or cancel one' });
      return this.answer(node, id, step);
    }

    const lookup = await this.sessions.get(sid, bare);
    if ('missing' in lookup) {
      return lookup.missing === 'expired' ? adhocError('session-expired') : adhocError('bad-sessionid', `no command session ${sid}`);
    }
    if (lookup.found.node !== node || lookup.found.requester !== req.from.toString())
      return adhocError('bad-sessionid', `session ${sid} is not one of ${node} from this resource`);
    if (action === 'cancel') {
      await this.sessions.close(sid, bare);
      return xml('command', { xmlns: NS.commands, node, sessionid: sid, status: 'canceled' });
    }
    if (action === 'prev' || action === 'next') return adhocError('bad-action', `this command has one stage; "${action}" is not allowed`);
    // the form the stage answers: start() of a one-form command only builds it (no side effects)
    const first = await command.start(call);
    if (first instanceof StanzaError || first.status !== 'executing') return adhocError('bad-sessionid');
    let values;
    try {
      values = readSubmittedForm(cmd.getChild('x', NS.xdata), first.form);
    } catch (err) {
      if (err instanceof FormError) return adhocError('bad-payload', err.message); // the session stays: a corrected form may follow
      throw err;
    }
    // the command acted (or refused to, e.g. <conflict/>): the session is over either way, so
    // clients that do not cancel after an error leave nothing open
    const step = await command.submit(values, call);
    await this.sessions.close(sid, bare);
    return this.answer(node, sid, step);
  }

  private answer(node: string, sid: string | undefined, step: CommandStep): Element | StanzaError {
    if (step instanceof StanzaError) return step;
    const el = xml('command', { xmlns: NS.commands, node, status: step.status, ...(sid ? { sessionid: sid } : {}) });
    if (step.status === 'executing') {
      el.append(xml('actions', { execute: 'complete' }, xml('complete')));
      el.append(dataForm('form', step.form));
      return el;
    }
    for (const n of step.notes ?? []) el.append(xml('note', { type: n.type }, n.text));
    if (step.result) el.append(step.result);
    return el;
  }
}
