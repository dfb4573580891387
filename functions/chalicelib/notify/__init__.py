"""The channels the outbox worker sends through (outbox.Sender): email by SMTP or SES, SMS by an
HTTP gateway. Each passes the delivery's id on as its idempotency key and turns its provider's
errors into outbox.DeliveryError."""
