package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Webhook events: what a stage tells its webhooks about.
const (
	EventDeployStarted      = "DEPLOY_STARTED"
	EventDeploySucceeded    = "DEPLOY_SUCCEEDED"
	EventDeployFailed       = "DEPLOY_FAILED"
	EventDeployAborted      = "DEPLOY_ABORTED"
	EventDeployRolledBack   = "DEPLOY_ROLLED_BACK"
	EventAcceptanceVerdict  = "ACCEPTANCE_VERDICT"
	EventPromotion          = "PROMOTION"
	WebhookFormatJSON       = "JSON"
	WebhookFormatSlack      = "SLACK"
	WebhookSignatureHeader  = "X-Teletraan-Signature-256"
	WebhookEventHeader      = "X-Teletraan-Event"
	WebhookDeliveryIDHeader = "X-Teletraan-Delivery"
)

// WebhookEvents lists the events a webhook may ask for.
func WebhookEvents() []string {
	return []string{EventDeployStarted, EventDeploySucceeded, EventDeployFailed, EventDeployAborted,
		EventDeployRolledBack, EventAcceptanceVerdict, EventPromotion}
}

// WebhookWants reports whether a hook subscribed to events (empty: all) wants event.
func WebhookWants(events []string, event string) bool {
	if len(events) == 0 {
		return true
	}
	for _, e := range events {
		if e == event {
			return true
		}
	}
	return false
}

// WebhookSignature is the value of the X-Teletraan-Signature-256 header of a delivery of
// body signed with secret: "sha256=" and the hex HMAC-SHA256 of the exact body bytes, as
// GitHub's X-Hub-Signature-256. Receivers compute the same and compare in constant time.
func WebhookSignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
