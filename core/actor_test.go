package core

import "testing"

func TestIsWorkflowOperator(t *testing.T) {
	for op, want := range map[string]bool{
		"teletraan (onFailure ROLLBACK)": true,
		"promotion:hello/prod":           true,
		"system":                         true,
		"system:alert":                   true,
		"alice@example.com":              false,
		"ci-publisher":                   false,
		"systems-team":                   false,
		"":                               false,
	} {
		if got := IsWorkflowOperator(op); got != want {
			t.Errorf("IsWorkflowOperator(%q) = %t, want %t", op, got, want)
		}
	}
}
