// Subscribers of a shared subscription field (graphql/shared-events.ts), grouped when they subscribe by what decides
// their results: the document, the operation and the variables that matter. A group executes each event once, for
// all its members, with a context that holds nothing of any one subscriber; a group of one executes with its
// member's own context, as an unshared subscription does. Groups belong to the yoga instance's shared-events plugin
// (built by createParleyYoga(), gone with it) and disappear with their last member.
//
// An event is found in its group by its key (conversationEvents: conversation and sequence), not by the identity of
// the event object, so the copies of one event that reach a process on several topics (a conversation's, the inbox
// topics) execute once per group whichever copy a member got. A group keeps the results of its most recent
// RESULTS_KEPT events: members receive an event within the same fan-out, or a few events apart when one is slow; one
// further behind than that executes it again for the group.
import type { ExecutionResult } from 'graphql';

/** Results kept per group, most recent first out. */
export const RESULTS_KEPT = 32;

/** One event's execution for a group: settled to the result, or to null when members must execute on their own. */
export interface GroupResult {
  /** undefined until settled. */
  value?: ExecutionResult | null;
  promise: Promise<ExecutionResult | null>;
  /**
   * Settled to a result that says a backing service was out of reach: the members waiting for it get it (and end
   * their streams to resume), but it is not kept, so the event is executed again when they replay it.
   */
  discard?: boolean;
}

export class SubscriptionGroup {
  /** Subscribers in the group now. */
  members = 0;
  private readonly results = new Map<string, GroupResult>();

  constructor(readonly key: string) {}

  /** The group's execution of the event with this key: the one already made, or the one `execute` makes now. */
  resultFor(eventKey: string, execute: () => GroupResult): GroupResult {
    const kept = this.results.get(eventKey);
    if (kept && !kept.discard) return kept;
    const result = execute();
    if (result.discard) return result;
    this.results.set(eventKey, result);
    if (this.results.size > RESULTS_KEPT) this.results.delete(this.results.keys().next().value!);
    if (result.value === undefined)
      void result.promise.then(() => {
        if (result.discard && this.results.get(eventKey) === result) this.results.delete(eventKey);
      });
    return result;
  }
}

export class SubscriptionGroups {
  private readonly groups = new Map<string, SubscriptionGroup>();
  /** Subscribers in all groups. */
  private joined = 0;

  /** Adds a subscriber to the group of `key`, made if it is the first. */
  join(key: string): SubscriptionGroup {
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new SubscriptionGroup(key)));
    group.members++;
    this.joined++;
    return group;
  }

  /** A subscriber's stream ended: the group goes with its last member. */
  leave(group: SubscriptionGroup) {
    this.joined--;
    if (--group.members > 0) return;
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
  }

  /** Groups with at least one member, and their members (for metrics and tests). */
  size(): { groups: number; members: number } {
    return { groups: this.groups.size, members: this.joined };
  }
}
