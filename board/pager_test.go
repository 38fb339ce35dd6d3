package board

import (
	"bytes"
	"html/template"
	"slices"
	"strconv"
	"testing"
)

func TestNewPager(t *testing.T) {
	href := func(page int) string { return "/list?page=" + strconv.Itoa(page) }
	for _, tc := range []struct {
		name         string
		page         int
		hasOlder     bool
		newer, older string
	}{
		{"the only page", 1, false, "", ""},
		{"the first of several", 1, true, "", "/list?page=2"},
		{"a middle page", 3, true, "/list?page=2", "/list?page=4"},
		{"the last page", 2, false, "/list?page=1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPager("things", tc.page, tc.hasOlder, href)
			if p.NewerHref != tc.newer || p.OlderHref != tc.older || p.Noun != "things" {
				t.Errorf("newPager(%d, %v) = %+v, want newer %q older %q", tc.page, tc.hasOlder, p, tc.newer, tc.older)
			}
		})
	}
}

func TestPageRows(t *testing.T) {
	for _, tc := range []struct {
		rows     []int
		want     []int
		hasOlder bool
	}{
		{nil, nil, false},
		{[]int{1, 2}, []int{1, 2}, false},
		{[]int{1, 2, 3}, []int{1, 2, 3}, false},
		{[]int{1, 2, 3, 4}, []int{1, 2, 3}, true},
	} {
		got, hasOlder := pageRows(tc.rows, 3)
		if !slices.Equal(got, tc.want) || hasOlder != tc.hasOlder {
			t.Errorf("pageRows(%v, 3) = %v, %v; want %v, %v", tc.rows, got, hasOlder, tc.want, tc.hasOlder)
		}
	}
}

func TestPageOffset(t *testing.T) {
	for _, tc := range []struct{ page, size, want int }{{1, 50, 0}, {2, 50, 50}, {4, 10, 30}} {
		if got := pageOffset(tc.page, tc.size); got != tc.want {
			t.Errorf("pageOffset(%d, %d) = %d, want %d", tc.page, tc.size, got, tc.want)
		}
	}
}

func TestPagerTemplate(t *testing.T) {
	pages := template.Must(template.New("").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html"))
	for _, tc := range []struct {
		name string
		p    pager
		want string
	}{
		{"one page draws nothing", pager{Noun: "builds"}, ""},
		{"both links, named", pager{Noun: "builds", NewerHref: "/b?page=1", OlderHref: "/b?page=3"},
			`<nav class="pager"><a href="/b?page=1" rel="prev">← newer builds</a> <a href="/b?page=3" rel="next">older builds →</a></nav>`},
		{"older only, unnamed, escaped", pager{OlderHref: "/d?page=2&type=<x>"},
			`<nav class="pager"> <a href="/d?page=2&amp;type=%3cx%3e" rel="next">older →</a></nav>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := pages.ExecuteTemplate(&out, "pager", tc.p); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("pager = %s\nwant    %s", out.String(), tc.want)
			}
		})
	}
}
