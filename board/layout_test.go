package board_test

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
)

// boardPages are one address of every board page over the fixture, plus a page that does not
// exist.
var boardPages = []string{
	"/", "/envs/hello/prod", "/envs/hello/prod/deploys", "/envs/hello/prod/hosts", "/envs/hello/prod/builds",
	"/envs/hello/prod/builds/compare", "/envs/hello/prod/config", "/envs/hello/prod/config/history",
	"/hosts/h1-serving", "/deploys/d1", "/envs/hello/nope", "/audit?env=hello",
}

func TestEveryPageHasTheSiteHeader(t *testing.T) {
	engine, _ := boardEngine(t)
	for _, path := range boardPages {
		rec := get(t, engine, path)
		body := rec.Body.String()
		header, _, found := strings.Cut(body, "</header>")
		if !found || !strings.Contains(header, `<header class="site">`) {
			t.Errorf("%s (status %d) has no site header", path, rec.Code)
			continue
		}
		for _, want := range []string{`<a class="brand" href="/">Teletraan</a>`, `href="/v1/openapi.json"`, `<a href="http://127.0.0.1:8233">Temporal UI</a>`} {
			if !strings.Contains(header, want) {
				t.Errorf("%s: site header lacks %s: %s", path, want, header)
			}
		}
		// The home page marks Stages current, the audit page Audit, every other page none.
		current := ""
		if _, rest, ok := strings.Cut(header, `aria-current="page"`); ok {
			current, _, _ = strings.Cut(strings.TrimPrefix(rest, ">"), "<")
		}
		want := map[string]string{"/": "Stages", "/audit?env=hello": "Audit"}[path]
		if current != want {
			t.Errorf("%s: header marks %q as the current page, want %q", path, current, want)
		}
	}
}

func TestSiteHeaderWithoutTemporalUI(t *testing.T) {
	_, f := boardEngine(t)
	engine := gin.New()
	(&board.Board{Store: f.store}).Register(engine)
	for _, path := range boardPages {
		rec := get(t, engine, path)
		body := rec.Body.String()
		if rec.Code >= 500 || !strings.Contains(body, `<header class="site">`) {
			t.Errorf("%s: status %d, header missing or page failed", path, rec.Code)
		}
		if strings.Contains(body, "Temporal UI") {
			t.Errorf("%s links a Temporal UI the board was not given", path)
		}
	}
}
