import { StanzaError, errorReply, iqResult } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { Registration } from './hooks.js';

/**
 * What an IQ handler answers (STYLE.md §4): a result payload (or none), a protocol error as a value,
 * or a result followed by more work that must come after it (`resultThen`).
 */
export type IqAnswer = Element | undefined | StanzaError | IqResultThen;

/**
 * A result that is sent first, then `then()` runs: RFC 6121 §2.6.3 sends the empty roster result
 * before the pushes. Everything a handler awaits before returning leaves before its answer (RFC
 * 6121 §2.5, §3.2: a roster change's side effects precede the result).
 */
export interface IqResultThen {
  readonly payload: Element | undefined;
  /** Not `then`: that would make the answer a thenable that `await` unwraps. */
  after(): Promise<void>;
}

export function resultThen(payload: Element | undefined, after: () => Promise<void>): IqResultThen {
  return { payload, after };
}

const isResultThen = (a: IqAnswer): a is IqResultThen => typeof a === 'object' && a !== null && 'after' in a && !(a instanceof StanzaError);

/** Where a handler answers: on a local domain itself, on a local bare account (anyone's, or only the sender's own). */
export interface IqScope {
  server?: boolean;
  account?: boolean | 'own';
  /**
   * More disco#info features that come with this namespace on an account (XEP-0030 §3.1), listed
   * with it to whoever may use it: `urn:xmpp:mam:2#extended` beside `urn:xmpp:mam:2` (XEP-0313 §7).
   */
  features?: string[];
}

export type IqWhere = 'server' | 'account';

export type IqHandler<R> = (req: R) => IqAnswer | Promise<IqAnswer>;

/** The namespaces a dispatcher answers, as the addressing table wants them declared. */
export interface IqClaims {
  server: string[];
  account: { ns: string; ownOnly: boolean; features: string[] }[];
}

export interface IqDispatchLogger {
  error(obj: object, msg: string): void;
}

interface Entry<R> {
  handler: IqHandler<R>;
  scope: IqScope;
  owner: string;
}

/**
 * The IQ dispatcher every app uses: handlers keyed by (type, payload namespace) and scope, one per
 * key and scope (a second registration is a boot error). `dispatch` is the IQ boundary of STYLE.md
 * §4: protocol errors are values, an exception becomes internal-server-error, a result or an error
 * is never answered, and exactly one answer leaves for each get or set.
 */
export class IqDispatcher<R> {
  private readonly entries = new Map<string, Entry<R>[]>();

  constructor(private readonly log: IqDispatchLogger) {}

  /** One line per IQ a feature serves; the returned Registration undoes it. */
  register(type: 'get' | 'set', ns: string, handler: IqHandler<R>, scope: IqScope, owner = 'anonymous'): Registration {
    const key = `${type} ${ns}`;
    const list = this.entries.get(key) ?? [];
    for (const e of list) {
      if ((e.scope.server && scope.server) || (e.scope.account && scope.account)) {
        throw new Error(`iq ${key} is already handled by ${e.owner}`);
      }
    }
    const entry: Entry<R> = { handler, scope, owner };
    list.push(entry);
    this.entries.set(key, list);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }

  find(type: string, ns: string | undefined, where: IqWhere): IqHandler<R> | undefined {
    if (ns === undefined) return undefined;
    return this.entries.get(`${type} ${ns}`)?.find((e) => e.scope[where])?.handler;
  }

  /** Namespaces handled in a scope (disco#info). */
  namespaces(where: IqWhere): string[] {
    const out = new Set<string>();
    for (const [key, list] of this.entries) if (list.some((e) => e.scope[where])) out.add(key.slice(key.indexOf(' ') + 1));
    return [...out].sort();
  }

  /** What to declare in the addressing table. */
  claims(): IqClaims {
    const server = new Set<string>();
    const account = new Map<string, { ownOnly: boolean; features: Set<string> }>();
    for (const [key, list] of this.entries) {
      const ns = key.slice(key.indexOf(' ') + 1);
      for (const e of list) {
        if (e.scope.server) server.add(ns);
        if (!e.scope.account) continue;
        const c = account.get(ns) ?? { ownOnly: true, features: new Set<string>() };
        c.ownOnly &&= e.scope.account === 'own';
        for (const f of e.scope.features ?? []) c.features.add(f);
        account.set(ns, c);
      }
    }
    return {
      server: [...server].sort(),
      account: [...account].sort(([a], [b]) => a.localeCompare(b)).map(([ns, c]) => ({ ns, ownOnly: c.ownOnly, features: [...c.features].sort() })),
    };
  }

  /**
   * Answers one IQ through `send` (awaited, so an acknowledged delivery completes first). `request`
   * builds the handler's argument from the IQ's one payload child.
   */
  async dispatch(iq: Element, where: IqWhere, request: (payload: Element) => R, send: (reply: Element) => void | Promise<void>): Promise<void> {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') return; // RFC 6120 §8.2.3: never answered
    const answer = await this.answer(iq, where, request);
    if (answer instanceof StanzaError) {
      const reply = errorReply(iq, answer);
      if (reply) await send(reply);
      return;
    }
    if (!isResultThen(answer)) return void (await send(iqResult(iq, answer)));
    await send(iqResult(iq, answer.payload));
    try {
      await answer.after();
    } catch (err) {
      this.log.error({ err, stanzaId: iq.attrs.id }, 'work after an iq result failed');
    }
  }

  private async answer(iq: Element, where: IqWhere, request: (payload: Element) => R): Promise<IqAnswer> {
    const type = iq.attrs.type;
    const children = iq.elements();
    if ((type !== 'get' && type !== 'set') || children.length !== 1) return new StanzaError('bad-request'); // RFC 6120 §8.2.3
    const payload = children[0]!;
    const handler = this.find(type, payload.xmlns, where);
    if (!handler) return new StanzaError('service-unavailable'); // RFC 6120 §8.4
    try {
      return await handler(request(payload));
    } catch (err) {
      if (err instanceof StanzaError) return err;
      this.log.error({ err, stanzaId: iq.attrs.id, ns: payload.xmlns }, 'iq handler failed');
      return new StanzaError('internal-server-error');
    }
  }
}
