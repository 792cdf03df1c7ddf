-- The optional outgoing webhook of a school (issue 6: "e.g. for an enterprise WeChat bot"), and its
-- outbox. A delivery is queued in the same transaction as the alert (or its escalation), so an alert
-- that commits always gets its delivery, and a retry never sends a second message for one event.
-- Neither table holds a student's name, class or answer: the message says only that an alert is waiting.
CREATE TABLE school_webhooks (
  school_id text PRIMARY KEY REFERENCES schools(id),
  url text NOT NULL,
  -- the HMAC signing secret, encrypted like every other secret at rest; null: unsigned
  secret_enc text,
  enabled boolean NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL REFERENCES accounts(id)
);

CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  school_id text NOT NULL REFERENCES schools(id),
  alert_id text NOT NULL REFERENCES alerts(id),
  event text NOT NULL CHECK (event IN ('alert', 'escalated')),
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  -- a sender claims a delivery until then, so two app instances never send it at once
  claimed_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  UNIQUE (alert_id, event)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
