-- CIM messages to MDM systems (docs/cim.md) through the notifications' delivery and retry machinery:
-- a rule of channel 'cim' publishes "created EndDeviceEvents" to a subscribed MDM endpoint, and the
-- asynchronous reply of a CIM request (Header.AsyncReplyFlag, ReplyAddress) is a delivery of channel
-- 'cim-reply' with no rule. A reply answers a caller, not a project: its project_id is NULL.
ALTER TABLE notification_rules DROP CONSTRAINT notification_rules_channel_check;
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_channel_check CHECK (channel IN ('email', 'webhook', 'sms', 'cim'));
ALTER TABLE notification_deliveries ALTER COLUMN project_id DROP NOT NULL;

-- Asynchronous create EndDeviceControls: the relay command (task) whose outcome per device is still to be
-- sent to the request's ReplyAddress as "changed EndDeviceControls" once its launch finishes (or its
-- approval is rejected); the row goes when the message is queued (api/cim/control-outcomes.ts).
CREATE TABLE cim_control_watches (
  task_id            uuid PRIMARY KEY REFERENCES collection_tasks (id) ON DELETE CASCADE,
  -- The ReplyAddress, encrypted with the master key (it may carry credentials).
  url_enc            text NOT NULL,
  -- How to answer: the request's format, edition, SOAP namespace, wrapper and header (MessageID, CorrelationID, Noun).
  reply_to           jsonb NOT NULL,
  control_type       text NOT NULL,
  issuer_tracking_id text,
  created_at         timestamptz NOT NULL
);
