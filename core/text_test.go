package core_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		in   string
		want string // substring of the error; "" for none
	}{
		{"fix: retry\nthe call\twith tabs\r\n", ""},
		{"déjà vu \uFFFD", ""},
		{"main\x00", "control character U+0000 at byte 4"},
		{"\x1b[31mred", "control character U+001B at byte 0"},
		{"a\x7f", "U+007F at byte 1"},
		{"a\u0085b", "U+0085 at byte 1"},
		{"ok\xff", "not valid UTF-8 at byte 2"},
	}
	for _, tt := range tests {
		err := core.CheckText("description", tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckText(%q) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || core.ErrorField(err) != "description"):
			t.Errorf("CheckText(%q) = %v, want a description error saying %q", tt.in, err, tt.want)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"exit 1\x00\x1b[31m": "exit 1\uFFFD\uFFFD[31m",
		"line\nnext\t":       "line\nnext\t",
		"bad\xffbyte":        "bad\uFFFDbyte",
	} {
		if got := core.CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
