package schema

import (
	"slices"
	"testing"
)

func TestIDChunks(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []string
		size int
		want [][]string
	}{
		{"none", nil, 3, nil},
		{"only empty ids", []string{"", ""}, 3, nil},
		{"fewer than a chunk", []string{"a", "b"}, 3, [][]string{{"a", "b"}}},
		{"exactly a chunk", []string{"a", "b", "c"}, 3, [][]string{{"a", "b", "c"}}},
		{"one past a chunk", []string{"a", "b", "c", "d"}, 3, [][]string{{"a", "b", "c"}, {"d"}}},
		{"repeats and blanks do not count", []string{"a", "", "a", "b", "b", "c", "d"}, 3, [][]string{{"a", "b", "c"}, {"d"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := idChunks(tc.ids, tc.size)
			if !slices.EqualFunc(got, tc.want, slices.Equal[[]string]) {
				t.Errorf("idChunks(%q, %d) = %q, want %q", tc.ids, tc.size, got, tc.want)
			}
		})
	}
}
