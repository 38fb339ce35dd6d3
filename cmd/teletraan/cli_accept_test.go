package main

import (
	"strings"
	"testing"
)

func TestVerdictVerbsSayWhyNot(t *testing.T) {
	srv := newListAPI(t)
	out, err := runCommand(t, "deploys", "get", "d1", "--url", srv.URL)
	if err != nil || !strings.Contains(out, "acceptance: no acceptance configured") {
		t.Fatalf("deploys get: %v\n%s", err, out)
	}
	if _, err := runCommand(t, "accept", "d1", "--reason", "fine", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "is not waiting for a verdict") || !strings.Contains(err.Error(), "(HTTP 409)") {
		t.Fatalf("accept of a deploy without acceptance: %v", err)
	}
	if _, err := runCommand(t, "reject", "nope", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "(HTTP 404)") {
		t.Fatalf("reject of a missing deploy: %v", err)
	}
}
