-- CIM messages to MDM systems (docs/cim.md) through the notifications' delivery and retry machinery:
-- a rule of channel 'cim' publishes "created EndDeviceEvents" to a subscribed MDM endpoint, and the
-- asynchronous reply of a CIM request (Header.AsyncReplyFlag, ReplyAddress) is a delivery of channel
-- 'cim-reply' with no rule. A reply answers a caller, not a project: its project_id is NULL.
ALTER TABLE notification_rules DROP CONSTRAINT notification_rules_channel_check;
ALTER TABLE notification_rules ADD CONSTRAINT notification_rules_channel_check CHECK (channel IN ('email', 'webhook', 'sms', 'cim'));
ALTER TABLE notification_deliveries ALTER COLUMN project_id DROP NOT NULL;
