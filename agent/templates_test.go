package agent

import "testing"

func TestExpandVars(t *testing.T) {
	vars := map[string]string{"PORT": "80", "HOST": "h"}
	for in, want := range map[string]string{
		"${PORT}":             "80",
		"$PORT/x":             "80/x",
		"${TELETRAAN_PORT}":   "80",
		"$TELETRAAN_HOST":     "h",
		"${NOPE:def}":         "def",
		"${PORT:def}":         "80",
		"${NOPE}":             "${NOPE}",
		"$NOPE $":             "$NOPE $",
		"$$PORT":              "$PORT",
		"${ bad }":            "${ bad }",
		"${unterminated":      "${unterminated",
		"a$1b":                "a$1b",
		"x=${HOST}:${PORT}yz": "x=h:80yz",
	} {
		if got := expandVars(in, vars); got != want {
			t.Errorf("expandVars(%q) = %q, want %q", in, got, want)
		}
	}
}
