"""Deadline reminders and escalation up the chain, exactly once (DESIGN §2 "Reminder log").

Rules are rows (ReminderRule, editable in the admin; the defaults in rules.py are loaded by migration).
A sweep, for one day:

1. selects the ids of what is due with range queries on the indexed due-date columns (open hazards:
   the partial index hazard_open_deadline), then the rows by primary key — the cost grows with what
   falls due around that day, not with the size of the tables;
2. drops the thresholds already claimed (one query), so a second sweep does next to nothing;
3. resolves the chains of all due hazards *on the day of sending* with resolve_chains, in batches of
   500 (a constant number of queries per batch, whatever the number of enterprises), then the
   recipients; a vacant post escalates to the next holder up the same track, and the reminder says so;
4. claims each (rule, object, due date and threshold, recipient) with a unique row before anything
   is sent, and hands the new claims to delivery only after commit.

Delivery (delivery.py) re-fetches each claim and does nothing if it was delivered already or
is no longer due. A claim never delivered (broker down, worker killed) is re-enqueued by the next
sweep: the database, not the broker, is the source of truth.

Modules, in dependency order (no cycle): rules (defaults, thresholds) → due (what is due) →
recipients (who, with escalation) → delivery (render, deliver, digests) → sweep (claim, hand over);
inbox is the in-app notification list. accountability/tasks.py wraps sweep and delivery for Celery.
"""
