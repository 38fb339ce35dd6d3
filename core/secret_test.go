package core_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestIsSecretVariable(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		want     bool
	}{
		{"DB_PASSWORD", nil, true},
		{"github_token", nil, true},
		{"AWS_SECRET_ACCESS_KEY", nil, true},
		{"PORT", nil, false},
		{"STRIPE_LIVE", []string{"STRIPE_*"}, true},
		{"STRIPE_LIVE", []string{"stripe_*"}, false},
		{"LICENSE", []string{"LICENSE"}, true},
		{"PORT", []string{"[bad"}, false},
	}
	for _, tt := range tests {
		if got := core.IsSecretVariable(tt.name, tt.patterns); got != tt.want {
			t.Errorf("IsSecretVariable(%q, %q) = %v, want %v", tt.name, tt.patterns, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://u:p@prom.example/api/v1/query?query=up&token=abc": "https://(secret)@prom.example/api/v1/query?query=up&token=(secret)",
		"https://prom.example/api/v1/query?query=up":               "https://prom.example/api/v1/query?query=up",
		"https://hooks.example/x?sig=1&api_key=2&b=3":              "https://hooks.example/x?api_key=(secret)&b=3&sig=(secret)",
		"http://[::1:bad": "(secret)",
	}
	for in, want := range tests {
		if got := core.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactText(t *testing.T) {
	secrets := []string{"hunter22", "hunter2233", "on"}
	if got, want := core.RedactText("pw=hunter2233 then hunter22, on and on", secrets), "pw=(secret) then (secret), on and on"; got != want {
		t.Errorf("RedactText = %q, want %q", got, want)
	}
	if got := core.RedactText("nothing here", nil); got != "nothing here" {
		t.Errorf("RedactText without secrets changed the text: %q", got)
	}
}
