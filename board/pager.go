package board

// pager links one page of a newest-first list to its neighbours; the "pager" template in
// layout.html draws it, and draws nothing when there is only one page.
type pager struct {
	// Noun names what is listed in the links ("← newer builds"); "" says just "← newer".
	Noun string
	// NewerHref and OlderHref are the neighbouring pages; "" when there is none.
	NewerHref, OlderHref string
}

// newPager links page (1 is the newest) to the page before it and, when hasOlder, to the
// one after it; href builds a page's URL with the list's filters.
func newPager(noun string, page int, hasOlder bool, href func(page int) string) pager {
	p := pager{Noun: noun}
	if page > 1 {
		p.NewerHref = href(page - 1)
	}
	if hasOlder {
		p.OlderHref = href(page + 1)
	}
	return p
}

// pageRows cuts rows, read with one row more than a page, to a page of size and reports
// whether an older page exists: the extra row tells without counting.
func pageRows[T any](rows []T, size int) (shown []T, hasOlder bool) {
	if len(rows) > size {
		return rows[:size], true
	}
	return rows, false
}

// pageOffset is how many rows come before page (1 is the first) of size rows.
func pageOffset(page, size int) int {
	return (page - 1) * size
}
