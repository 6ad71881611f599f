/** The topic an org's events of one type travel on, as DESIGN.md has it: `<org>.<eventType>`. */
export function topicOf(org: string, eventType: string): string {
  return `${org}.${eventType}`;
}

/** Each subscription reads as its own consumer group: every subscription gets every event. */
export function groupOf(subscriptionId: string): string {
  return `dispatch.subscription.${subscriptionId}`;
}
