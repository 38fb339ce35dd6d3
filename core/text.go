package core

import (
	"strings"
	"unicode/utf8"
)

// CheckText is the rule for text a person or a program sends us to keep (descriptions,
// branches, commit titles, script variables, host facts): valid UTF-8 with no control
// characters other than tab, line feed and carriage return. A NUL would be cut off or
// refused by the databases, and other control characters rewrite a terminal or a log
// line. The error names field and the byte offset at fault.
//
// Examples: "fix: retry\nthe call" → nil; "main\x00" → an error at byte 4; "\xff" → an
// error (not UTF-8).
func CheckText(field, s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return FieldErrorf(field, "is not valid UTF-8 at byte %d", i)
		case isRefusedControl(r):
			return FieldErrorf(field, "holds the control character %U at byte %d; text may hold tabs and line breaks but no other control characters", r, i)
		}
	}
	return nil
}

// CleanText makes output we must keep whatever it holds (a failing script's last lines)
// storable and safe to show: invalid UTF-8 and refused control characters become U+FFFD.
//
// Example: "exit 1\x00\x1b[31m" → "exit 1\uFFFD\uFFFD[31m".
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, isRefusedControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isRefusedControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// isRefusedControl reports whether r is a control character text may not hold.
func isRefusedControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}
