-- CIM messages to MDM systems (docs/cim.md) through the notifications' delivery and retry machinery:
-- a rule of channel 'cim' publishes "created EndDeviceEvents" to a subscribed MDM endpoint, and the
-- asynchronous reply of a CIM request (Header.AsyncReplyFlag, ReplyAddress) is a delivery of channel
-- 'cim-reply' with no rule. A reply answers a caller, not a project: its project_id is NULL.
ALTER TABLE notification_rules DROP CONSTRAINT notification_rules_channel_check;
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_channel_check CHECK (channel IN ('email', 'webhook', 'sms', 'cim'));
ALTER TABLE notification_deliveries ALTER COLUMN project_id DROP NOT NULL;

-- Follow-ups of asynchronous CIM requests (api/cim/follow-ups.ts), each waiting on a one-off task: kind
-- 'controls' (create EndDeviceControls: the outcome per device as "changed EndDeviceControls" once the relay
-- command's launch finishes or its approval is rejected) or 'readings' (get MeterReadings with the on-demand
-- option: the reply from stored data once the read's launch finishes). The row goes when the message is queued.
CREATE TABLE cim_watches (
  task_id            uuid PRIMARY KEY REFERENCES collection_tasks (id) ON DELETE CASCADE,
  kind               text NOT NULL CHECK (kind IN ('controls', 'readings')),
  -- The ReplyAddress, encrypted with the master key (it may carry credentials).
  url_enc            text NOT NULL,
  -- How to answer: the request's format, edition, SOAP namespace, wrapper and header (MessageID, CorrelationID, Noun).
  reply_to           jsonb NOT NULL,
  -- controls: the EndDeviceControlType and the MDM's order id.
  control_type       text,
  issuer_tracking_id text,
  -- readings: the request message as parsed, answered for this user's projects.
  request            jsonb,
  user_id            uuid,
  created_at         timestamptz NOT NULL
);
